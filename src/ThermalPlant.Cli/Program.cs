using System.CommandLine;
using ThermalPlant.Cli.Database;
using ThermalPlant.Cli.OpcUa;

var root = new RootCommand("Thermal Plant Monitoring Suite command line");
root.Subcommands.Add(OpcUaCommands.Create(Console.Out));
root.Subcommands.Add(DatabaseCommands.Create(Console.Out, Console.Error, Environment.GetEnvironmentVariable));
return await root.Parse(args).InvokeAsync();
