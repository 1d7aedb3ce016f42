using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Encoding;

public sealed class RoundTripTests
{
    public static TheoryData<Variant> Scalars => new()
    {
        new Variant(BuiltInType.Boolean, true),
        new Variant(BuiltInType.SByte, (sbyte)-5),
        new Variant(BuiltInType.Byte, (byte)200),
        new Variant(BuiltInType.Int16, (short)-30000),
        new Variant(BuiltInType.UInt16, (ushort)60000),
        new Variant(BuiltInType.Int32, int.MinValue),
        new Variant(BuiltInType.UInt32, uint.MaxValue),
        new Variant(BuiltInType.Int64, long.MinValue),
        new Variant(BuiltInType.UInt64, ulong.MaxValue),
        new Variant(BuiltInType.Float, 1.5f),
        new Variant(BuiltInType.Double, 419.25),
        new Variant(BuiltInType.String, "Plant/Temperature/Upper"),
        new Variant(BuiltInType.DateTime, new DateTime(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc)),
        new Variant(BuiltInType.Guid, Guid.Parse("72962b91-fa75-4ae6-8d28-b404dc7daf63")),
        new Variant(BuiltInType.NodeId, NodeId.Parse("ns=2;s=Plant.Temperature.Upper")),
        new Variant(BuiltInType.ExpandedNodeId, new ExpandedNodeId(NodeId.Of(85), "http://thermalplant.dev/plant", 2)),
        new Variant(BuiltInType.StatusCode, new StatusCode(StatusCodes.BadSensorFailure)),
        new Variant(BuiltInType.QualifiedName, new QualifiedName(2, "Upper")),
        new Variant(BuiltInType.LocalizedText, new LocalizedText("en", "Upper furnace temperature")),
        new Variant(BuiltInType.Variant, Variant.From(3.0)),
    };

    [Theory]
    [MemberData(nameof(Scalars))]
    public void Scalars_round_trip(Variant value)
    {
        var decoded = RoundTrip(e => e.WriteVariant(value), (ref BinaryDecoder d) => d.ReadVariant());
        Assert.Equal(value.Type, decoded.Type);
        Assert.Equal(value.Value, decoded.Value);
    }

    [Fact]
    public void Arrays_round_trip()
    {
        var doubles = RoundTrip(e => e.WriteVariant(Variant.From([1.0, -2.5, double.NaN])), (ref BinaryDecoder d) => d.ReadVariant());
        Assert.Equal([1.0, -2.5, double.NaN], (double[])doubles.Value!);
        var strings = RoundTrip(e => e.WriteVariant(new Variant(BuiltInType.String, new[] { "a", null, "c" })), (ref BinaryDecoder d) => d.ReadVariant());
        Assert.Equal(new[] { "a", null, "c" }, (string?[])strings.Value!);
        var bytes = RoundTrip(e => e.WriteVariant(new Variant(BuiltInType.ByteString, new byte[] { 1, 2, 3 })), (ref BinaryDecoder d) => d.ReadVariant());
        Assert.Equal(new byte[] { 1, 2, 3 }, (byte[])bytes.Value!);
        Assert.False(bytes.IsArray);
    }

    [Fact]
    public void Data_value_keeps_only_what_is_present()
    {
        var value = new DataValue
        {
            Value = Variant.From(419.25),
            Status = StatusCodes.UncertainLastUsableValue,
            SourceTimestamp = new DateTime(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc),
            ServerPicoseconds = 7,
        };
        using var encoder = new BinaryEncoder();
        encoder.WriteDataValue(value);
        Assert.Equal(0x01 | 0x02 | 0x04 | 0x20, encoder.Written[0]);
        var decoded = new BinaryDecoder(encoder.Written).ReadDataValue();
        Assert.Equal(value.Value!.Value, decoded.Value!.Value);
        Assert.Equal(value.Status, decoded.Status);
        Assert.Equal(value.SourceTimestamp, decoded.SourceTimestamp);
        Assert.Null(decoded.ServerTimestamp);
        Assert.Equal(7, decoded.ServerPicoseconds);
    }

    [Fact]
    public void Diagnostic_info_nests()
    {
        var info = new DiagnosticInfo { SymbolicId = 1, Locale = 2, LocalizedText = 3, AdditionalInfo = "x", InnerStatusCode = StatusCodes.BadTimeout, InnerDiagnosticInfo = new DiagnosticInfo { NamespaceUri = 4 } };
        Assert.Equal(info, RoundTrip(e => e.WriteDiagnosticInfo(info), (ref BinaryDecoder d) => d.ReadDiagnosticInfo()));
    }

    [Fact]
    public void Extension_object_keeps_its_body()
    {
        var body = new byte[] { 1, 2, 3, 4 };
        var decoded = RoundTrip(e => e.WriteExtensionObject(new ExtensionObject(NodeId.Of(ObjectIds.ReadRequest_Encoding_DefaultBinary), ExtensionObjectEncoding.Binary, body)), (ref BinaryDecoder d) => d.ReadExtensionObject());
        Assert.Equal(631u, decoded.TypeId.Numeric);
        Assert.Equal(body, decoded.Body.ToArray());
    }

    [Fact]
    public void Generated_identifiers_match_the_specification()
    {
        Assert.Equal(84u, ObjectIds.RootFolder);
        Assert.Equal(85u, ObjectIds.ObjectsFolder);
        Assert.Equal(2256u, VariableIds.Server_ServerStatus);
        Assert.Equal(11u, DataTypeIds.Double);
        Assert.Equal(33u, ReferenceTypeIds.HierarchicalReferences);
        Assert.Equal(13u, (uint)AttributeId.Value);
        Assert.Equal("BadNodeIdUnknown", new StatusCode(StatusCodes.BadNodeIdUnknown).ToString());
        Assert.Equal("BadNodeIdUnknown", new StatusCode(StatusCodes.BadNodeIdUnknown | 0x0400).ToString());
        Assert.True(new StatusCode(StatusCodes.UncertainLastUsableValue).IsUncertain);
    }

    private delegate T Reader<T>(ref BinaryDecoder decoder);

    private static T RoundTrip<T>(Action<BinaryEncoder> write, Reader<T> read)
    {
        using var encoder = new BinaryEncoder(4);
        write(encoder);
        var decoder = new BinaryDecoder(encoder.Written);
        var value = read(ref decoder);
        Assert.Equal(0, decoder.Remaining);
        return value;
    }
}
