using System.CommandLine;
using ThermalPlant.Cli.OpcUa;

var root = new RootCommand("Thermal Plant Monitoring Suite command line");
root.Subcommands.Add(OpcUaCommands.Create(Console.Out));
return await root.Parse(args).InvokeAsync();
