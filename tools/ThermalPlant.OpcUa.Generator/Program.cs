using ThermalPlant.OpcUa.Generator;

// Usage: dotnet run --project tools/ThermalPlant.OpcUa.Generator -- SCHEMA_DIR OUTPUT_DIR (scripts/generate-opcua runs it
// on the inputs committed beside it). SCHEMA_DIR holds the UA-Nodeset Schema files NodeIds.csv, StatusCode.csv,
// AttributeIds.csv and Opc.Ua.Types.bsd.
if (args.Length != 2 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: ThermalPlant.OpcUa.Generator SCHEMA_DIR OUTPUT_DIR");
    return 2;
}
Directory.CreateDirectory(args[1]);
foreach (var (file, text) in new SchemaGenerator(args[0]).Generate())
{
    var path = Path.Combine(args[1], file);
    File.WriteAllText(path, text);
    Console.WriteLine($"wrote {path}");
}
return 0;
