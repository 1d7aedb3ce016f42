using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Encoding;

/// <summary>Byte sequences written out in Part 6 of the specification, both ways.</summary>
public sealed class SpecExampleTests
{
    public static TheoryData<string, string> NodeIds => new()
    {
        // Part 6, 5.2.2.9: two-byte, four-byte, string (with a non-ASCII character) and GUID encodings.
        { "i=72", "0048" },
        { "ns=5;i=1025", "01050104" },
        { "ns=1;s=Hot\u6c34", "030100" + "06000000" + "486F74E6B0B4" },
        { "g=72962b91-fa75-4ae6-8d28-b404dc7daf63", "040000" + "912B967275FAE64A8D28B404DC7DAF63" },
        { "ns=300;i=70000", "022C01" + "70110100" },
    };

    [Theory]
    [MemberData(nameof(NodeIds))]
    public void NodeId_encodings(string nodeId, string hex)
    {
        using var encoder = new BinaryEncoder();
        encoder.WriteNodeId(NodeId.Parse(nodeId));
        Assert.Equal(hex, Convert.ToHexString(encoder.Written));
        var decoder = new BinaryDecoder(Convert.FromHexString(hex));
        Assert.Equal(NodeId.Parse(nodeId), decoder.ReadNodeId());
        Assert.Equal(0, decoder.Remaining);
    }

    [Fact]
    public void String_is_a_utf8_byte_length_then_bytes()
    {
        using var encoder = new BinaryEncoder();
        encoder.WriteString("\u6c34Boy");
        Assert.Equal("06000000E6B0B4426F79", Convert.ToHexString(encoder.Written));
    }

    [Fact]
    public void Null_string_and_bytestring_are_length_minus_one()
    {
        using var encoder = new BinaryEncoder();
        encoder.WriteString(null);
        encoder.WriteByteString([], isNull: true);
        Assert.Equal("FFFFFFFFFFFFFFFF", Convert.ToHexString(encoder.Written));
        var decoder = new BinaryDecoder(encoder.Written);
        Assert.Null(decoder.ReadString());
        Assert.Null(decoder.ReadByteString());
    }

    [Fact]
    public void DateTime_is_ticks_since_1601_and_clamps()
    {
        using var encoder = new BinaryEncoder();
        encoder.WriteDateTime(new DateTime(1601, 1, 1, 0, 0, 1, DateTimeKind.Utc));
        encoder.WriteDateTime(DateTime.MinValue);
        encoder.WriteDateTime(DateTime.MaxValue);
        Assert.Equal("8096980000000000" + "0000000000000000" + "FFFFFFFFFFFFFF7F", Convert.ToHexString(encoder.Written));
        var decoder = new BinaryDecoder(encoder.Written);
        Assert.Equal(new DateTime(1601, 1, 1, 0, 0, 1, DateTimeKind.Utc), decoder.ReadDateTime());
        Assert.Equal(DateTime.MinValue, decoder.ReadDateTime());
        Assert.Equal(DateTime.MaxValue, decoder.ReadDateTime());
    }

    [Fact]
    public void Variant_array_of_int32_with_dimensions()
    {
        // Type 6 (Int32) | 0x80 array | 0x40 dimensions; 4 elements; dimensions [2, 2].
        var matrix = new Variant(BuiltInType.Int32, new[] { 1, 2, 3, 4 }, [2, 2]);
        using var encoder = new BinaryEncoder();
        encoder.WriteVariant(matrix);
        Assert.Equal("C6" + "04000000" + "01000000020000000300000004000000" + "02000000" + "0200000002000000", Convert.ToHexString(encoder.Written));
    }
}
