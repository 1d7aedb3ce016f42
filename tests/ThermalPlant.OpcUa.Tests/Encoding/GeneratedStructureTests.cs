using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Encoding;

/// <summary>The structures generated from Opc.Ua.Types.bsd encode their fields in order, arrays with counts.</summary>
public sealed class GeneratedStructureTests
{
    [Fact]
    public void Read_request_round_trips_through_its_encoding_id()
    {
        var request = new ReadRequest
        {
            RequestHeader = new RequestHeader { AuthenticationToken = NodeId.Of(7, 1), Timestamp = new DateTime(2026, 11, 24, 0, 0, 0, DateTimeKind.Utc), RequestHandle = 42, TimeoutHint = 5000 },
            MaxAge = 0,
            TimestampsToReturn = TimestampsToReturn.Both,
            NodesToRead =
            [
                new ReadValueId { NodeId = NodeId.Parse("ns=2;s=Plant.Temperature.Upper"), AttributeId = (uint)AttributeId.Value },
                new ReadValueId { NodeId = NodeId.Of(ObjectIds.ObjectsFolder), AttributeId = (uint)AttributeId.BrowseName },
            ],
        };
        using var encoder = new BinaryEncoder();
        request.Encode(encoder);

        var decoder = new BinaryDecoder(encoder.Written);
        var decoded = Assert.IsType<ReadRequest>(EncodeableTypes.Decode(ReadRequest.BinaryEncodingId, ref decoder));
        Assert.Equal(0, decoder.Remaining);
        Assert.Equal(631u, ReadRequest.BinaryEncodingId);
        Assert.Equal(42u, decoded.RequestHeader.RequestHandle);
        Assert.Equal(NodeId.Of(7, 1), decoded.RequestHeader.AuthenticationToken);
        Assert.Equal(TimestampsToReturn.Both, decoded.TimestampsToReturn);
        Assert.Equal(2, decoded.NodesToRead!.Length);
        Assert.Equal("Plant.Temperature.Upper", decoded.NodesToRead[0].NodeId.Text);
        Assert.Equal((uint)AttributeId.BrowseName, decoded.NodesToRead[1].AttributeId);
    }

    [Fact]
    public void Null_and_empty_arrays_are_distinguished()
    {
        using var encoder = new BinaryEncoder();
        new ReadResponse { Results = null, DiagnosticInfos = [] }.Encode(encoder);
        var decoder = new BinaryDecoder(encoder.Written);
        var decoded = ReadResponse.Decode(ref decoder);
        Assert.Null(decoded.Results);
        Assert.NotNull(decoded.DiagnosticInfos);
        Assert.Empty(decoded.DiagnosticInfos);
    }

    [Fact]
    public void Enumerations_are_encoded_as_int32()
    {
        using var encoder = new BinaryEncoder();
        new BrowseDescription { BrowseDirection = BrowseDirection.Inverse, NodeClassMask = 1 }.Encode(encoder);
        // NodeId (2 bytes, i=0), BrowseDirection Int32 = 1.
        Assert.Equal("0000" + "01000000", Convert.ToHexString(encoder.Written[..6]));
    }

    [Fact]
    public void A_hostile_count_inside_a_structure_is_refused()
    {
        // ReadResponse: ResponseHeader, then a Results count of 2^30 with nothing after it.
        using var encoder = new BinaryEncoder();
        new ResponseHeader().Encode(encoder);
        encoder.WriteInt32(1 << 30);
        var error = Assert.Throws<OpcUaException>(() =>
        {
            var decoder = new BinaryDecoder(encoder.Written);
            ReadResponse.Decode(ref decoder);
        });
        Assert.Equal(StatusCodes.BadEncodingLimitsExceeded, error.Status.Code);
    }

    [Fact]
    public void An_unknown_encoding_id_decodes_to_nothing()
    {
        var decoder = new BinaryDecoder([]);
        Assert.Null(EncodeableTypes.Decode(123456, ref decoder));
    }
}
