using System.Runtime.CompilerServices;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Types;

/// <summary>The value-type DataValue: absent fields, <c>with</c>, equality, and what its encoding keeps.</summary>
public sealed class DataValueTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Default_has_no_value_and_no_timestamps()
    {
        DataValue value = default;
        Assert.True(value.Value.IsNull);
        Assert.True(value.Status.IsGood);
        Assert.Null(value.SourceTimestamp);
        Assert.Null(value.ServerTimestamp);
        Assert.Equal("00", Encode(value));
    }

    [Fact]
    public void With_sets_and_clears_timestamps()
    {
        var value = new DataValue { Value = Variant.From(1.0), SourceTimestamp = T0 };
        var stamped = value with { ServerTimestamp = T0.AddSeconds(1) };
        Assert.Equal(T0, stamped.SourceTimestamp);
        Assert.Equal(T0.AddSeconds(1), stamped.ServerTimestamp);
        var cleared = stamped with { SourceTimestamp = null };
        Assert.Null(cleared.SourceTimestamp);
        Assert.Equal(value with { SourceTimestamp = null }, cleared with { ServerTimestamp = null });
        Assert.NotEqual(value, stamped);
    }

    [Fact]
    public void A_null_value_is_absent_but_a_typed_null_is_encoded()
    {
        // Mask 0x01 with the null Variant (0x00): the value is there and it is null, as before the value types.
        Assert.Equal("0100", Encode(new DataValue { Value = Variant.From((string?)null) }));
        Assert.Equal("02" + "00008C80", Encode(new DataValue { Status = StatusCodes.BadSensorFailure }));
        var decoded = new BinaryDecoder(Convert.FromHexString("0100")).ReadDataValue();
        Assert.True(decoded.Value.IsNull);
    }

    [Fact]
    public void Is_small_enough_to_live_in_the_result_array()
    {
        // The point of the value types: a Double result is its array slot and nothing else.
        Assert.True(Unsafe.SizeOf<Variant>() <= 24, $"Variant is {Unsafe.SizeOf<Variant>()} bytes");
        Assert.True(Unsafe.SizeOf<DataValue>() <= 56, $"DataValue is {Unsafe.SizeOf<DataValue>()} bytes");
    }

    private static string Encode(DataValue value)
    {
        using var encoder = new BinaryEncoder();
        encoder.WriteDataValue(value);
        return Convert.ToHexString(encoder.Written);
    }
}
