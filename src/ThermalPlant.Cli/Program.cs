using System.CommandLine;
using ThermalPlant.Cli.Analytics;
using ThermalPlant.Cli.Database;
using ThermalPlant.Cli.Import;
using ThermalPlant.Cli.Modbus;
using ThermalPlant.Cli.OpcUa;

var root = new RootCommand("Thermal Plant Monitoring Suite command line");
root.Subcommands.Add(OpcUaCommands.Create(Console.Out, Console.In));
root.Subcommands.Add(ModbusCommands.Create(Console.Out, Console.Error));
root.Subcommands.Add(PycomintImportCommand.Create(Console.Out, Console.Error));
root.Subcommands.Add(DatabaseCommands.Create(Console.Out, Console.Error, Environment.GetEnvironmentVariable));
root.Subcommands.Add(AnalyticsCommands.Create(Console.Out, Console.Error));
return await root.Parse(args).InvokeAsync();
