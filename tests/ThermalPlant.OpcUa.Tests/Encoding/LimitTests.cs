using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Encoding;

/// <summary>Hostile lengths are refused before anything is allocated.</summary>
public sealed class LimitTests
{
    [Theory]
    [InlineData("FFFFFF7F41", StatusCodes.BadEncodingLimitsExceeded)]
    [InlineData("FEFFFFFF", StatusCodes.BadDecodingError)]
    [InlineData("0000100041", StatusCodes.BadEncodingLimitsExceeded)]
    [InlineData("0500000041", StatusCodes.BadDecodingError)]
    public void String_lengths_are_checked(string hex, uint expected)
    {
        var error = Assert.Throws<OpcUaException>(() =>
        {
            var decoder = new BinaryDecoder(Convert.FromHexString(hex), new EncodingLimits { MaxStringLength = 1024 });
            decoder.ReadString();
        });
        Assert.Equal(expected, error.Status.Code);
    }

    [Fact]
    public void A_huge_array_count_in_a_short_message_allocates_nothing()
    {
        // Variant of Double array claiming 1,000,000 elements in 12 bytes.
        var hex = "8B" + "40420F00" + "0000000000000000";
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<OpcUaException>(() => new BinaryDecoder(Convert.FromHexString(hex), new EncodingLimits { MaxArrayLength = 2_000_000 }).ReadVariant());
        Assert.Equal(StatusCodes.BadDecodingError, error.Status.Code);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 100_000, "no array was allocated");
    }

    [Fact]
    public void Array_counts_beyond_the_limit_are_refused()
    {
        var error = Assert.Throws<OpcUaException>(() => new BinaryDecoder(Convert.FromHexString("8B" + "E8030000"), new EncodingLimits { MaxArrayLength = 100 }).ReadVariant());
        Assert.Equal(StatusCodes.BadEncodingLimitsExceeded, error.Status.Code);
    }

    [Fact]
    public void Nesting_beyond_the_limit_is_refused()
    {
        // 30 Variants each holding a Variant (type 24), then a Boolean.
        var hex = string.Concat(Enumerable.Repeat("18", 30)) + "0101";
        var error = Assert.Throws<OpcUaException>(() => new BinaryDecoder(Convert.FromHexString(hex), new EncodingLimits { MaxNestingDepth = 10 }).ReadVariant());
        Assert.Equal(StatusCodes.BadEncodingLimitsExceeded, error.Status.Code);
        Assert.True(new BinaryDecoder(Convert.FromHexString(hex)).ReadVariant().Value is Variant);
    }

    [Fact]
    public void Matrix_dimensions_must_match_the_array()
    {
        var hex = "C6" + "02000000" + "0100000002000000" + "02000000" + "0200000002000000";
        var error = Assert.Throws<OpcUaException>(() => new BinaryDecoder(Convert.FromHexString(hex)).ReadVariant());
        Assert.Equal(StatusCodes.BadDecodingError, error.Status.Code);
    }

    [Theory]
    [InlineData("06")]
    [InlineData("0B000000")]
    [InlineData("07")]
    [InlineData("3F")]
    public void Truncated_or_unknown_input_is_a_decoding_error(string hex)
    {
        var error = Assert.Throws<OpcUaException>(() => new BinaryDecoder(Convert.FromHexString(hex)).ReadVariant());
        Assert.Equal(StatusCodes.BadDecodingError, error.Status.Code);
    }

    [Fact]
    public void Unknown_node_id_encoding_is_a_decoding_error()
    {
        var error = Assert.Throws<OpcUaException>(() => new BinaryDecoder([0x07, 0x00]).ReadNodeId());
        Assert.Equal(StatusCodes.BadDecodingError, error.Status.Code);
    }
}
