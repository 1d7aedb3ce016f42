using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Encoding;

/// <summary>The server's NodeId cache: the same bytes give the same NodeId instance, and never another id's.</summary>
public sealed class NodeIdCacheTests
{
    public static TheoryData<string> Ids => ["i=85", "ns=1;i=300", "ns=2;i=70000", "ns=3;s=Plant/Bench/Var_0042", "ns=1;g=72962b91-fa75-4ae6-8d28-b404dc7daf63", "b=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "ns=2;s="];

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_same_bytes_decode_to_one_instance_equal_to_the_uncached_decoding(string text)
    {
        var cache = new NodeIdCache();
        var bytes = Encode(NodeId.Parse(text));

        var first = Decode(bytes, cache);
        var second = Decode(bytes, cache);

        Assert.Same(first, second);
        Assert.Equal(Decode(bytes, null), second);
        Assert.Equal(NodeId.Parse(text), second);
    }

    [Fact]
    public void Many_ids_sharing_slots_each_decode_to_themselves()
    {
        var cache = new NodeIdCache();
        // More ids than slots, so that they replace one another; strings that differ only at their end and tokens of one length.
        var ids = Enumerable.Range(0, 3 * NodeIdCache.Slots).Select(i => i % 2 == 0
            ? NodeId.Of($"Plant/Bench/Var_{i:D5}", 2)
            : NodeId.Of(BitConverter.GetBytes((long)i).Concat(new byte[24]).ToArray(), 0)).ToArray();
        for (var round = 0; round < 2; round++)
        {
            foreach (var id in ids) Assert.Equal(id, Decode(Encode(id), cache));
        }
    }

    [Fact]
    public void A_nodeid_longer_than_the_cache_keeps_is_decoded_each_time()
    {
        var cache = new NodeIdCache();
        var bytes = Encode(NodeId.Of(new string('x', NodeIdCache.MaxEncodedLength), 1));

        var first = Decode(bytes, cache);
        var second = Decode(bytes, cache);

        Assert.Equal(first, second);
        Assert.NotSame(first, second);
    }

    [Theory]
    [InlineData("03" + "0100" + "FEFFFFFF")]
    [InlineData("03" + "0100" + "10000000" + "4142")]
    [InlineData("05" + "0000" + "20000000" + "00")]
    [InlineData("03" + "0100")]
    [InlineData("04" + "0100" + "0102")]
    [InlineData("07")]
    public void Malformed_nodeids_are_refused_as_without_the_cache(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        var cache = new NodeIdCache();

        var cached = Assert.Throws<OpcUaException>(() => Decode(bytes, cache));
        var uncached = Assert.Throws<OpcUaException>(() => Decode(bytes, null));

        Assert.Equal(StatusCodes.BadDecodingError, cached.Status.Code);
        Assert.Equal(uncached.Status.Code, cached.Status.Code);
    }

    [Fact]
    public void A_read_request_decodes_the_same_with_and_without_the_cache_and_twice_with_it()
    {
        var cache = new NodeIdCache();
        var request = new ReadRequest
        {
            RequestHeader = new RequestHeader { AuthenticationToken = NodeId.Of(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), 0), RequestHandle = 7 },
            TimestampsToReturn = TimestampsToReturn.Both,
            NodesToRead = [.. Enumerable.Range(0, 50).Select(i => new ReadValueId { NodeId = NodeId.Of($"Plant/Bench/Var_{i:D4}", 2), AttributeId = 13 })],
        };
        using var encoder = new BinaryEncoder();
        request.Encode(encoder);
        var bytes = encoder.Written.ToArray();

        var uncachedDecoder = new BinaryDecoder(bytes);
        var plain = ReadRequest.Decode(ref uncachedDecoder);
        var firstDecoder = new BinaryDecoder(bytes, null, cache);
        var first = ReadRequest.Decode(ref firstDecoder);
        var secondDecoder = new BinaryDecoder(bytes, null, cache);
        var second = ReadRequest.Decode(ref secondDecoder);

        Assert.Equal(plain.NodesToRead!.Select(n => n.NodeId), second.NodesToRead!.Select(n => n.NodeId));
        Assert.Equal(plain.RequestHeader.AuthenticationToken, second.RequestHeader.AuthenticationToken);
        Assert.Same(first.RequestHeader.AuthenticationToken, second.RequestHeader.AuthenticationToken);
        Assert.All(first.NodesToRead!.Zip(second.NodesToRead!), pair => Assert.Same(pair.First.NodeId, pair.Second.NodeId));
    }

    [Fact]
    public async Task Threads_sharing_the_cache_each_get_their_own_ids()
    {
        var cache = new NodeIdCache();
        var ids = Enumerable.Range(0, 2 * NodeIdCache.Slots).Select(i => NodeId.Of($"Plant/Bench/Var_{i:D5}", 2)).ToArray();
        var encoded = ids.Select(Encode).ToArray();

        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 50_000; i++)
            {
                var pick = random.Next(ids.Length);
                Assert.Equal(ids[pick], Decode(encoded[pick], cache));
            }
        }));

        await Task.WhenAll(workers);
    }

    private static byte[] Encode(NodeId id)
    {
        using var encoder = new BinaryEncoder();
        encoder.WriteNodeId(id);
        return encoder.Written.ToArray();
    }

    private static NodeId Decode(byte[] bytes, NodeIdCache? cache)
    {
        var decoder = new BinaryDecoder(bytes, null, cache);
        var id = decoder.ReadNodeId();
        Assert.Equal(0, decoder.Remaining);
        return id;
    }
}
