namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// The tree both servers of the read-throughput benchmark serve: Objects/Plant/Bench/Var_0000 ... as Double
/// variables with string NodeIds <c>Plant.Bench.Var_0000</c> ... in one namespace. node-opcua's side is
/// tests/peers/opcua/bench-server.mjs, which must keep these names.
/// </summary>
internal static class BenchTree
{
    /// <summary>The namespace of the benchmark's nodes; its index differs between servers, so clients look it up.</summary>
    public const string NamespaceUri = "urn:thermalplant:bench";

    /// <summary>The BrowseName of variable <paramref name="index"/>.</summary>
    public static string Name(int index) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Var_{index:D4}");

    /// <summary>The string identifier of variable <paramref name="index"/>.</summary>
    public static string Identifier(int index) => "Plant.Bench." + Name(index);

    /// <summary>The value variable <paramref name="index"/> has at update <paramref name="tick"/>; a different one on every update.</summary>
    public static double Value(int index, long tick) => Math.Sin((tick * 0.1) + index);
}
