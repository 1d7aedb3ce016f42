using ThermalPlant.OpcUa.Types;
using ThermalPlant.Scraper.Sources.OpcUa;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>How OPC UA values become samples: arrays element by element per element type, unstorable types skipped.</summary>
public sealed class ValueConverterTests
{
    private static readonly DateTime At = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);

    public static TheoryData<BuiltInType, Array, double[]> Arrays => new()
    {
        { BuiltInType.Double, new[] { 1.5, -2.25 }, [1.5, -2.25] },
        { BuiltInType.Float, new[] { 0.5f, 3f }, [0.5, 3] },
        { BuiltInType.Int16, new short[] { -7, 8 }, [-7, 8] },
        { BuiltInType.UInt32, new uint[] { 4_000_000_000 }, [4_000_000_000] },
        { BuiltInType.Int64, new long[] { -1L << 40 }, [-(1L << 40)] },
        { BuiltInType.Byte, new byte[] { 0, 255 }, [0, 255] },
        { BuiltInType.SByte, new sbyte[] { -128 }, [-128] },
        { BuiltInType.Boolean, new[] { true, false, true }, [1, 0, 1] },
    };

    [Theory]
    [MemberData(nameof(Arrays))]
    public void Each_element_of_a_numeric_or_boolean_array_is_a_sample_of_its_own_tag(BuiltInType type, Array values, double[] expected)
    {
        var variable = new ScrapedVariable(NodeId.Of("Plant.Bands", 2), new TagKey("opc.tcp://plant/", "ns=2;s=Plant.Bands", "plant", "bands"));
        var samples = new List<Sample>();

        Assert.True(ValueConverter.AddSamples(variable, new DataValue { Value = new Variant(type, values) }, At, samples));

        Assert.Equal(expected, samples.Select(s => s.Value));
        Assert.Equal(Enumerable.Range(0, expected.Length).Select(i => $"bands[{i}]"), samples.Select(s => s.Tag.TagName));
        Assert.All(samples, s => Assert.Equal(At, s.Timestamp));
    }

    [Fact]
    public void Byte_strings_strings_and_matrices_are_not_stored()
    {
        var variable = new ScrapedVariable(NodeId.Of("Plant.X", 2), new TagKey("opc.tcp://plant/", "ns=2;s=Plant.X", "plant", "x"));
        var samples = new List<Sample>();

        Assert.False(ValueConverter.AddSamples(variable, new DataValue { Value = new Variant(BuiltInType.ByteString, new byte[] { 1, 2 }) }, At, samples));
        Assert.False(ValueConverter.AddSamples(variable, new DataValue { Value = new Variant(BuiltInType.String, new[] { "a", "b" }) }, At, samples));
        Assert.False(ValueConverter.AddSamples(variable, new DataValue { Value = new Variant(BuiltInType.Double, new double[2, 2], [2, 2]) }, At, samples));
        Assert.Empty(samples);
    }
}
