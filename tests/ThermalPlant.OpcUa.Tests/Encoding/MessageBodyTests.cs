using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Encoding;

/// <summary>
/// A service message's type id costs no object either way, and the parts every request and response carry empty (the
/// request header's AdditionalHeader, the response header's ServiceDiagnostics) are shared instances: the server
/// decodes and encodes them once per request.
/// </summary>
public sealed class MessageBodyTests
{
    [Fact]
    public void Reading_a_message_allocates_no_more_than_decoding_its_body_alone()
    {
        var request = new ReadRequest
        {
            RequestHeader = new RequestHeader { Timestamp = DateTime.UnixEpoch, RequestHandle = 3, AuthenticationToken = NodeId.Of(new byte[32], 0) },
            NodesToRead = [new ReadValueId { NodeId = NodeId.Of(2258), AttributeId = 13 }],
        };
        using var message = new BinaryEncoder();
        MessageBody.Write(message, request);
        using var body = new BinaryEncoder();
        request.Encode(body);
        var messageBytes = message.Written.ToArray();
        var bodyBytes = body.Written.ToArray();
        ReadMessage(messageBytes);
        DecodeBody(bodyBytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        ReadMessage(messageBytes);
        var withTypeId = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        DecodeBody(bodyBytes);
        var bodyAlone = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(bodyAlone, withTypeId);
    }

    [Fact]
    public void Writing_a_message_into_an_encoder_with_room_allocates_nothing()
    {
        var response = new ReadResponse
        {
            ResponseHeader = new ResponseHeader { Timestamp = DateTime.UnixEpoch, RequestHandle = 3 },
            Results = [new DataValue { Value = Variant.From(1.5), ServerTimestamp = DateTime.UnixEpoch }],
        };
        using var encoder = new BinaryEncoder(4096);
        MessageBody.Write(encoder, response);

        var before = GC.GetAllocatedBytesForCurrentThread();
        MessageBody.Write(encoder, response);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_cleared_encoder_writes_the_next_message_from_its_start_in_the_same_buffer()
    {
        using var encoder = new BinaryEncoder(16);
        encoder.WriteString(new string('x', 100));
        var capacity = encoder.Capacity;
        encoder.Clear();
        encoder.WriteUInt32(7);

        Assert.Equal(new byte[] { 7, 0, 0, 0 }, encoder.Written.ToArray());
        Assert.Equal(capacity, encoder.Capacity);
    }

    [Fact]
    public void Empty_headers_decode_to_the_shared_null_extension_object_and_empty_diagnostics()
    {
        Assert.Same(DiagnosticInfo.Empty, new ResponseHeader().ServiceDiagnostics);
        using var encoder = new BinaryEncoder();
        new RequestHeader { Timestamp = DateTime.UnixEpoch }.Encode(encoder);
        new ResponseHeader { Timestamp = DateTime.UnixEpoch }.Encode(encoder);
        var decoder = new BinaryDecoder(encoder.Written);

        Assert.Same(ExtensionObject.Null, RequestHeader.Decode(ref decoder).AdditionalHeader);
        var response = ResponseHeader.Decode(ref decoder);
        Assert.Same(DiagnosticInfo.Empty, response.ServiceDiagnostics);
        Assert.Same(ExtensionObject.Null, response.AdditionalHeader);
        Assert.Equal(0, decoder.Remaining);
    }

    [Fact]
    public void A_diagnostic_info_with_fields_still_decodes_to_its_own_instance()
    {
        var info = new DiagnosticInfo { SymbolicId = 2, AdditionalInfo = "why" };
        using var encoder = new BinaryEncoder();
        encoder.WriteDiagnosticInfo(info);
        var decoder = new BinaryDecoder(encoder.Written);

        Assert.Equal(info, decoder.ReadDiagnosticInfo());
    }

    [Theory]
    [InlineData(631u, (ushort)0)]
    [InlineData(7u, (ushort)0)]
    [InlineData(40_000u, (ushort)3)]
    [InlineData(70_000u, (ushort)0)]
    [InlineData(5u, (ushort)300)]
    public void A_numeric_id_written_without_a_node_id_has_the_node_ids_bytes(uint id, ushort ns)
    {
        using var plain = new BinaryEncoder();
        plain.WriteNodeId(id, ns);
        using var expected = new BinaryEncoder();
        expected.WriteNodeId(NodeId.Of(id, ns));
        Assert.Equal(expected.Written.ToArray(), plain.Written.ToArray());

        var decoder = new BinaryDecoder(plain.Written);
        Assert.True(decoder.TryReadNumericNodeId(out var readNs, out var readId));
        Assert.Equal((ns, id), (readNs, readId));
    }

    [Fact]
    public void A_message_whose_type_id_is_a_string_is_an_unsupported_service()
    {
        using var encoder = new BinaryEncoder();
        encoder.WriteNodeId(NodeId.Of("ReadRequest", 0));
        var bytes = encoder.Written.ToArray();

        var refused = Assert.Throws<OpcUaException>(() => MessageBody.Read(bytes));
        Assert.Equal(StatusCodes.BadServiceUnsupported, refused.Status.Code);
    }

    private static IEncodeable ReadMessage(byte[] bytes) => MessageBody.Read(bytes);

    private static ReadRequest DecodeBody(byte[] bytes)
    {
        var decoder = new BinaryDecoder(bytes);
        return ReadRequest.Decode(ref decoder);
    }
}
