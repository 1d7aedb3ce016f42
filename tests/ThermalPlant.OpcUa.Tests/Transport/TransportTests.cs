using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Transport;

public sealed class TransportTests
{
    [Fact]
    public void Hello_header_and_body_as_on_the_wire()
    {
        var hello = new HelloMessage(0, new TransportLimits { ReceiveBufferSize = 65536, SendBufferSize = 65536, MaxMessageSize = 0, MaxChunkCount = 0 }, "opc.tcp://localhost:4840/freeopcua/server/");
        using var body = new BinaryEncoder();
        hello.Encode(body);
        var frame = new byte[MessageHeader.Length + body.Length];
        new MessageHeader(MessageType.Hello, ChunkType.Final, (uint)frame.Length).Write(frame);
        body.Written.CopyTo(frame.AsSpan(MessageHeader.Length));

        Assert.Equal("48454C46", Convert.ToHexString(frame[..4]));
        var header = MessageHeader.Read(frame);
        Assert.Equal((MessageType.Hello, ChunkType.Final, (uint)frame.Length), (header.Type, header.Chunk, header.Size));
        Assert.Equal(hello, HelloMessage.Decode(frame.AsSpan(MessageHeader.Length)));
    }

    [Theory]
    [InlineData("58595A46" + "10000000")]
    [InlineData("48454C43" + "10000000")]
    [InlineData("4F504E41" + "10000000")]
    [InlineData("4D534746" + "08000000")]
    public void Invalid_headers_are_bad_tcp_message_type(string hex)
    {
        var error = Assert.Throws<OpcUaException>(() => MessageHeader.Read(Convert.FromHexString(hex)));
        Assert.Equal(StatusCodes.BadTcpMessageTypeInvalid, error.Status.Code);
    }

    [Fact]
    public void A_too_long_endpoint_url_is_refused()
    {
        using var body = new BinaryEncoder();
        new HelloMessage(0, TransportLimits.Default, "opc.tcp://" + new string('x', 5000)).Encode(body);
        var error = Assert.Throws<OpcUaException>(() => HelloMessage.Decode(body.Written));
        Assert.Equal(StatusCodes.BadTcpEndpointUrlInvalid, error.Status.Code);
    }

    [Fact]
    public void Negotiation_takes_the_smaller_of_each_limit()
    {
        var client = new TransportLimits { ReceiveBufferSize = 16384, SendBufferSize = 32768, MaxMessageSize = 0, MaxChunkCount = 100 };
        var server = new TransportLimits { ReceiveBufferSize = 65535, SendBufferSize = 8192, MaxMessageSize = 1 << 20, MaxChunkCount = 0 };
        var ack = TransportNegotiation.Accept(new HelloMessage(0, client, "opc.tcp://h:4840"), server);
        Assert.Equal(32768u, ack.Limits.ReceiveBufferSize);
        Assert.Equal(8192u, ack.Limits.SendBufferSize);
        Assert.Equal(1u << 20, ack.Limits.MaxMessageSize);
        Assert.Equal(100u, ack.Limits.MaxChunkCount);
        using var encoder = new BinaryEncoder();
        ack.Encode(encoder);
        Assert.Equal(ack, AcknowledgeMessage.Decode(encoder.Written));
    }

    [Fact]
    public void Buffers_below_8192_bytes_are_refused()
    {
        var error = Assert.Throws<OpcUaException>(() => TransportNegotiation.Accept(new HelloMessage(0, new TransportLimits { ReceiveBufferSize = 1024 }, null), TransportLimits.Default));
        Assert.Equal(StatusCodes.BadTcpInternalError, error.Status.Code);
    }

    [Fact]
    public void Error_message_round_trips()
    {
        using var encoder = new BinaryEncoder();
        new ErrorMessage(StatusCodes.BadTcpMessageTooLarge, "chunk too large").Encode(encoder);
        var decoded = ErrorMessage.Decode(encoder.Written);
        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, decoded.Status.Code);
        Assert.Equal("chunk too large", decoded.Reason);
    }

    [Fact]
    public void Chunks_are_joined_and_an_abort_discards_them()
    {
        using var assembler = new ChunkAssembler(TransportLimits.Default);
        Assert.True(assembler.Add(ChunkType.Intermediate, [1, 2]).IsEmpty);
        Assert.True(assembler.Add(ChunkType.Abort, []).IsEmpty);
        Assert.True(assembler.Add(ChunkType.Intermediate, [3]).IsEmpty);
        Assert.Equal(new byte[] { 3, 4, 5 }, assembler.Add(ChunkType.Final, [4, 5]).ToArray());
    }

    [Fact]
    public void A_message_of_one_chunk_is_the_chunk_itself_not_a_copy()
    {
        using var assembler = new ChunkAssembler(TransportLimits.Default);
        byte[] body = [7, 8, 9];
        var message = assembler.Add(ChunkType.Final, body);
        Assert.True(message.Overlaps(body, out var offset) && offset == 0 && message.Length == body.Length);

        // Joining still works after it.
        Assert.True(assembler.Add(ChunkType.Intermediate, [1]).IsEmpty);
        Assert.Equal(new byte[] { 1, 2 }, assembler.Add(ChunkType.Final, [2]).ToArray());
    }

    [Fact]
    public void A_message_of_one_chunk_beyond_the_message_limit_is_refused()
    {
        using var assembler = new ChunkAssembler(new TransportLimits { MaxMessageSize = 4 });
        var refused = Assert.Throws<OpcUaException>(() => assembler.Add(ChunkType.Final, new byte[5]));
        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, refused.Status.Code);
    }

    [Fact]
    public void Limits_are_enforced_chunk_by_chunk()
    {
        var limits = new TransportLimits { ReceiveBufferSize = 8192, MaxMessageSize = 10, MaxChunkCount = 3 };
        using var assembler = new ChunkAssembler(limits);
        var tooBig = Assert.Throws<OpcUaException>(() => assembler.CheckHeader(new MessageHeader(MessageType.Message, ChunkType.Final, 8193)));
        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, tooBig.Status.Code);

        assembler.Add(ChunkType.Intermediate, new byte[6]);
        var tooLong = Assert.Throws<OpcUaException>(() => assembler.Add(ChunkType.Final, new byte[6]));
        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, tooLong.Status.Code);

        for (var i = 0; i < 3; i++)
        {
            assembler.CheckHeader(new MessageHeader(MessageType.Message, ChunkType.Intermediate, 100));
            assembler.Add(ChunkType.Intermediate, [1]);
        }
        var tooMany = Assert.Throws<OpcUaException>(() => assembler.CheckHeader(new MessageHeader(MessageType.Message, ChunkType.Final, 100)));
        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, tooMany.Status.Code);
    }
}
