using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Types;

/// <summary>The value-type Variant: inline scalars, typed accessors, arrays and matrices, equality.</summary>
public sealed class VariantTests
{
    [Fact]
    public void Default_is_the_null_variant()
    {
        Variant none = default;
        Assert.Equal(Variant.Null, none);
        Assert.True(none.IsNull);
        Assert.Equal(BuiltInType.Null, none.Type);
        Assert.Null(none.Value);
        Assert.False(none.IsArray);
    }

    [Fact]
    public void A_typed_null_keeps_its_type_and_is_null()
    {
        var text = Variant.From((string?)null);
        Assert.Equal(BuiltInType.String, text.Type);
        Assert.True(text.IsNull);
        Assert.NotEqual(Variant.Null, text);
    }

    [Fact]
    public void Inline_scalars_give_back_their_dotnet_values()
    {
        var time = new DateTime(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc);
        Assert.Equal(true, Variant.From(true).Value);
        Assert.Equal((sbyte)-5, Variant.From((sbyte)-5).Value);
        Assert.Equal((byte)200, Variant.From((byte)200).Value);
        Assert.Equal((short)-30000, Variant.From((short)-30000).Value);
        Assert.Equal((ushort)60000, Variant.From((ushort)60000).Value);
        Assert.Equal(int.MinValue, Variant.From(int.MinValue).Value);
        Assert.Equal(uint.MaxValue, Variant.From(uint.MaxValue).Value);
        Assert.Equal(long.MinValue, Variant.From(long.MinValue).Value);
        Assert.Equal(ulong.MaxValue, Variant.From(ulong.MaxValue).Value);
        Assert.Equal(-1.5f, Variant.From(-1.5f).Value);
        Assert.Equal(419.25, Variant.From(419.25).Value);
        Assert.Equal(new StatusCode(StatusCodes.BadSensorFailure), Variant.From(new StatusCode(StatusCodes.BadSensorFailure)).Value);
        var stored = (DateTime)Variant.From(time).Value!;
        Assert.Equal(time, stored);
        Assert.Equal(DateTimeKind.Utc, stored.Kind);
        Assert.Equal(DateTimeKind.Local, Variant.From(DateTime.SpecifyKind(time, DateTimeKind.Local)).AsDateTime().Kind);
    }

    [Fact]
    public void The_boxing_constructor_stores_scalars_as_From_does()
    {
        Assert.Equal(Variant.From(419.25), new Variant(BuiltInType.Double, 419.25));
        Assert.Equal(Variant.From((short)-7), new Variant(BuiltInType.Int16, (short)-7));
        Assert.Equal(Variant.From(new StatusCode(StatusCodes.BadTimeout)), new Variant(BuiltInType.StatusCode, new StatusCode(StatusCodes.BadTimeout)));
        Assert.Throws<ArgumentException>(() => new Variant(BuiltInType.Double, 1));
    }

    [Fact]
    public void Typed_accessors_read_without_the_object()
    {
        Assert.True(Variant.From(21.5).TryGetDouble(out var d));
        Assert.Equal(21.5, d);
        Assert.False(Variant.From(21.5f).TryGetDouble(out _));
        Assert.False(Variant.From([1.0]).TryGetDouble(out _));

        Assert.True(Variant.From((short)-12).TryGetNumber(out var n));
        Assert.Equal(-12.0, n);
        Assert.True(Variant.From(ulong.MaxValue).TryGetNumber(out n));
        Assert.Equal(ulong.MaxValue, n);
        Assert.True(Variant.From(2.5f).TryGetNumber(out n));
        Assert.Equal(2.5, n);
        Assert.False(Variant.From(true).TryGetNumber(out _));
        Assert.False(Variant.From("12").TryGetNumber(out _));
        Assert.False(Variant.Null.TryGetNumber(out _));

        Assert.True(Variant.From(true).TryGetBoolean(out var flag));
        Assert.True(flag);
        Assert.False(Variant.From(1).TryGetBoolean(out _));
        Assert.Throws<InvalidCastException>(() => Variant.From(1.0).AsDateTime());
    }

    [Fact]
    public void Equality_follows_type_and_value()
    {
        Assert.Equal(Variant.From(double.NaN), Variant.From(double.NaN));
        Assert.Equal(Variant.From(0.0), Variant.From(-0.0));
        Assert.Equal(Variant.From(0.0).GetHashCode(), Variant.From(-0.0).GetHashCode());
        Assert.NotEqual(Variant.From(1.0), Variant.From(1.0f));
        Assert.NotEqual(Variant.From(1), Variant.From(1u));
        Assert.True(Variant.From("furnace") == Variant.From("furnace"));
        Assert.True(Variant.From(1.0) != Variant.From(2.0));
        Assert.Equal(new Variant(BuiltInType.NodeId, NodeId.Of(85)), new Variant(BuiltInType.NodeId, NodeId.Of(85)));
        Assert.Equal(new Variant(BuiltInType.Guid, Guid.Empty), new Variant(BuiltInType.Guid, Guid.Empty));
    }

    [Fact]
    public void Arrays_and_matrices_hold_their_elements_by_reference()
    {
        var values = new[] { 1, 2, 3, 4 };
        var array = new Variant(BuiltInType.Int32, values);
        Assert.True(array.IsArray);
        Assert.Same(values, array.Value);
        Assert.Null(array.Dimensions);

        var matrix = new Variant(BuiltInType.Int32, values, [2, 2]);
        Assert.True(matrix.IsArray);
        Assert.Same(values, matrix.Value);
        Assert.Equal([2, 2], matrix.Dimensions!);
        Assert.NotEqual(array, matrix);

        var byteString = new Variant(BuiltInType.ByteString, new byte[] { 1, 2 });
        Assert.False(byteString.IsArray);
        Assert.True(new Variant(BuiltInType.ByteString, new[] { new byte[] { 1 } }).IsArray);
        Assert.True(new Variant(BuiltInType.Byte, new byte[] { 1, 2 }).IsArray);
    }

    [Fact]
    public void Nested_values_are_boxed_in_the_reference()
    {
        var inner = Variant.From(3.0);
        var outer = new Variant(BuiltInType.Variant, inner);
        Assert.Equal(inner, Assert.IsType<Variant>(outer.Value));
        var value = new DataValue { Value = inner, Status = StatusCodes.UncertainLastUsableValue };
        Assert.Equal(value, Assert.IsType<DataValue>(new Variant(BuiltInType.DataValue, value).Value));
    }

    [Fact]
    public void To_string_names_the_type_and_the_value()
    {
        Assert.Equal("Double 419.25", Variant.From(419.25).ToString());
        Assert.Equal("Double[3]", Variant.From([1.0, 2.0, 3.0]).ToString());
        Assert.Equal("Int32[2,2]", new Variant(BuiltInType.Int32, new[] { 1, 2, 3, 4 }, [2, 2]).ToString());
        Assert.Equal("String null", Variant.From((string?)null).ToString());
        Assert.Equal("Null", Variant.Null.ToString());
    }
}
