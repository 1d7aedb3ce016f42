using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.SecureChannel;

public sealed class SecureChannelTests
{
    private static readonly AsymmetricSecurityHeader NoneHeader = new(SecurityPolicyUris.None, null, null);
    private static readonly SecurityPolicy None = SecurityPolicies.None;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void An_open_request_framed_by_a_client_is_answered_with_a_token()
    {
        // Client side: OpenSecureChannel (Issue) in one OPN chunk, channel id 0.
        var request = new OpenSecureChannelRequest { RequestHeader = new RequestHeader { RequestHandle = 1 }, RequestType = SecurityTokenRequestType.Issue, SecurityMode = MessageSecurityMode.None, RequestedLifetime = 600_000 };
        var frame = Frame(MessageType.OpenSecureChannel, 0, request, requestId: 1);

        // Server side: header, channel id, asymmetric header, sequence header, body.
        var header = MessageHeader.Read(frame);
        Assert.Equal((MessageType.OpenSecureChannel, ChunkType.Final, (uint)frame.Length), (header.Type, header.Chunk, header.Size));
        var decoder = new BinaryDecoder(frame.AsSpan(MessageHeader.Length));
        Assert.Equal(0u, decoder.ReadUInt32());
        var security = AsymmetricSecurityHeader.Read(ref decoder);
        var sequence = SequenceHeader.Read(ref decoder);
        var opened = Assert.IsType<OpenSecureChannelRequest>(MessageBody.Read(frame.AsSpan(MessageHeader.Length + decoder.Position)));

        var channel = new ServerSecureChannel(7, time: _time);
        channel.CheckSequenceNumber(sequence.SequenceNumber);
        Assert.Equal(SecurityPolicyUris.None, security.SecurityPolicyUri);
        var response = channel.Open(opened, SecurityPolicies.Find(security.SecurityPolicyUri), null);
        Assert.Equal(7u, response.SecurityToken.ChannelId);
        Assert.Equal(600_000u, response.SecurityToken.RevisedLifetime);
        Assert.Equal(1u, response.ResponseHeader.RequestHandle);

        // The response travels back and decodes to the same token.
        var answer = Frame(MessageType.OpenSecureChannel, 7, response, sequence.RequestId);
        var back = new BinaryDecoder(answer.AsSpan(MessageHeader.Length));
        Assert.Equal(7u, back.ReadUInt32());
        AsymmetricSecurityHeader.Read(ref back);
        Assert.Equal(1u, SequenceHeader.Read(ref back).RequestId);
        var decoded = Assert.IsType<OpenSecureChannelResponse>(MessageBody.Read(answer.AsSpan(MessageHeader.Length + back.Position)));
        Assert.Equal(response.SecurityToken.TokenId, decoded.SecurityToken.TokenId);
    }

    [Fact]
    public void Renewal_keeps_the_old_token_valid_until_it_expires()
    {
        var channel = new ServerSecureChannel(3, time: _time);
        var first = channel.Open(Request(SecurityTokenRequestType.Issue, 60_000), None, null).SecurityToken;
        _time.Advance(TimeSpan.FromSeconds(45));
        var second = channel.Open(Request(SecurityTokenRequestType.Renew, 60_000), None, null).SecurityToken;
        Assert.NotEqual(first.TokenId, second.TokenId);
        channel.CheckToken(3, first.TokenId);
        channel.CheckToken(3, second.TokenId);
        _time.Advance(TimeSpan.FromSeconds(31));
        var expired = Assert.Throws<OpcUaException>(() => channel.CheckToken(3, first.TokenId));
        Assert.Equal(StatusCodes.BadSecureChannelTokenUnknown, expired.Status.Code);
        channel.CheckToken(3, second.TokenId);
        Assert.Equal(StatusCodes.BadSecureChannelIdInvalid, Assert.Throws<OpcUaException>(() => channel.CheckToken(4, second.TokenId)).Status.Code);
    }

    [Fact]
    public void Lifetimes_are_revised_into_the_allowed_range()
    {
        var channel = new ServerSecureChannel(1, new SecureChannelOptions { MaxTokenLifetime = TimeSpan.FromMinutes(10) }, _time);
        Assert.Equal(600_000u, channel.Open(Request(SecurityTokenRequestType.Issue, uint.MaxValue), None, null).SecurityToken.RevisedLifetime);
        Assert.Equal(10_000u, channel.Open(Request(SecurityTokenRequestType.Renew, 0), None, null).SecurityToken.RevisedLifetime);
    }

    [Theory]
    [InlineData(SecurityTokenRequestType.Renew, MessageSecurityMode.None, SecurityPolicyUris.None, StatusCodes.BadRequestTypeInvalid)]
    [InlineData(SecurityTokenRequestType.Issue, MessageSecurityMode.SignAndEncrypt, SecurityPolicyUris.None, StatusCodes.BadSecurityModeRejected)]
    [InlineData(SecurityTokenRequestType.Issue, MessageSecurityMode.None, SecurityPolicyUris.Basic256Sha256, StatusCodes.BadSecurityModeRejected)]
    public void Requests_the_channel_cannot_honour_are_refused_with_their_code(SecurityTokenRequestType type, MessageSecurityMode mode, string policy, uint expected)
    {
        var channel = new ServerSecureChannel(1, time: _time);
        var request = Request(type, 60_000);
        request.SecurityMode = mode;
        var error = Assert.Throws<OpcUaException>(() => channel.Open(request, SecurityPolicies.Find(policy), null));
        Assert.Equal(expected, error.Status.Code);
    }

    [Fact]
    public void A_secured_open_needs_a_nonce_of_the_policys_length_and_a_renewal_keeps_the_policy_and_mode()
    {
        var policy = RsaAesSecurityPolicy.Basic256Sha256;
        var channel = new ServerSecureChannel(1, time: _time);
        var request = Request(SecurityTokenRequestType.Issue, 60_000);
        request.SecurityMode = MessageSecurityMode.SignAndEncrypt;
        request.ClientNonce = new byte[16];
        Assert.Equal(StatusCodes.BadNonceInvalid, Assert.Throws<OpcUaException>(() => channel.Open(request, policy, null)).Status.Code);

        request.ClientNonce = new byte[32];
        var opened = channel.Open(request, policy, null);
        Assert.Equal(32, opened.ServerNonce!.Length);
        Assert.IsType<SymmetricChunkSecurity>(channel.CheckToken(1, opened.SecurityToken.TokenId));

        var renew = Request(SecurityTokenRequestType.Renew, 60_000);
        renew.SecurityMode = MessageSecurityMode.Sign;
        renew.ClientNonce = new byte[32];
        Assert.Equal(StatusCodes.BadSecurityPolicyRejected, Assert.Throws<OpcUaException>(() => channel.Open(renew, policy, null)).Status.Code);
        renew.SecurityMode = MessageSecurityMode.SignAndEncrypt;
        Assert.NotEqual(opened.ServerNonce, channel.Open(renew, policy, null).ServerNonce);
    }

    [Fact]
    public void Issuing_twice_is_refused()
    {
        var channel = new ServerSecureChannel(1, time: _time);
        channel.Open(Request(SecurityTokenRequestType.Issue, 60_000), None, null);
        Assert.Equal(StatusCodes.BadRequestTypeInvalid, Assert.Throws<OpcUaException>(() => channel.Open(Request(SecurityTokenRequestType.Issue, 60_000), None, null)).Status.Code);
    }

    [Fact]
    public void Sequence_numbers_must_increase_by_one_and_wrap_only_near_the_top()
    {
        var check = new SequenceNumberCheck();
        check.Accept(51);
        check.Accept(52);
        Assert.Equal(StatusCodes.BadSequenceNumberInvalid, Assert.Throws<OpcUaException>(() => check.Accept(52)).Status.Code);
        var wrapping = new SequenceNumberCheck();
        wrapping.Accept(uint.MaxValue - 10);
        wrapping.Accept(3);
        Assert.Throws<OpcUaException>(() => wrapping.Accept(1000));
    }

    [Fact]
    public void A_large_message_is_split_into_chunks_the_peer_can_receive()
    {
        var peer = new TransportLimits { ReceiveBufferSize = 8192, MaxChunkCount = 20, MaxMessageSize = 1 << 20 };
        var writer = new ChunkWriter(peer, StatusCodes.BadResponseTooLarge);
        var body = Enumerable.Range(0, 50_000).Select(i => (byte)i).ToArray();
        var frames = writer.Frame(MessageType.Message, 9, [1, 0, 0, 0], requestId: 5, body, ChunkSecurity.None);

        using var assembler = new ChunkAssembler(new TransportLimits { ReceiveBufferSize = 8192 });
        var offset = 0;
        uint expectedSequence = 1;
        ReadOnlySpan<byte> message = default;
        while (offset < frames.Length)
        {
            var header = MessageHeader.Read(frames.AsSpan(offset));
            assembler.CheckHeader(header);
            var chunk = frames.AsSpan(offset, (int)header.Size);
            var decoder = new BinaryDecoder(chunk[MessageHeader.Length..]);
            Assert.Equal(9u, decoder.ReadUInt32());
            Assert.Equal(1u, decoder.ReadUInt32());
            var sequence = SequenceHeader.Read(ref decoder);
            Assert.Equal((expectedSequence++, 5u), (sequence.SequenceNumber, sequence.RequestId));
            message = assembler.Add(header.Chunk, chunk[(MessageHeader.Length + decoder.Position)..]);
            offset += (int)header.Size;
        }
        // 50,000 bytes in chunks of 8,192 - 24 header bytes: 7 chunks.
        Assert.Equal(8u, expectedSequence);
        Assert.Equal(body, message.ToArray());
    }

    [Fact]
    public void A_message_beyond_the_peers_limits_is_refused_whole()
    {
        var writer = new ChunkWriter(new TransportLimits { ReceiveBufferSize = 8192, MaxChunkCount = 2 }, StatusCodes.BadResponseTooLarge);
        var error = Assert.Throws<OpcUaException>(() => writer.Frame(MessageType.Message, 1, [1, 0, 0, 0], 1, new byte[20_000], ChunkSecurity.None));
        Assert.Equal(StatusCodes.BadResponseTooLarge, error.Status.Code);
        Assert.Throws<OpcUaException>(() => writer.Frame(MessageType.OpenSecureChannel, 1, [], 1, new byte[9000], ChunkSecurity.None));
    }

    [Fact]
    public void An_unknown_message_type_is_bad_service_unsupported()
    {
        using var encoder = new BinaryEncoder();
        encoder.WriteNodeId(NodeId.Of(ObjectIds.RootFolder));
        Assert.Equal(StatusCodes.BadServiceUnsupported, Assert.Throws<OpcUaException>(() => MessageBody.Read(encoder.Written)).Status.Code);
    }

    private static OpenSecureChannelRequest Request(SecurityTokenRequestType type, uint lifetime) =>
        new() { RequestType = type, SecurityMode = MessageSecurityMode.None, RequestedLifetime = lifetime };

    private static byte[] Frame(MessageType type, uint channelId, IEncodeable message, uint requestId)
    {
        using var security = new BinaryEncoder();
        NoneHeader.Write(security);
        using var body = new BinaryEncoder();
        MessageBody.Write(body, message);
        return new ChunkWriter(TransportLimits.Default, StatusCodes.BadRequestTooLarge).Frame(type, channelId, security.Written, requestId, body.Written, ChunkSecurity.None);
    }
}
