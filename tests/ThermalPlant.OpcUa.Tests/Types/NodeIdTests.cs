using System.Security.Cryptography;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Types;

/// <summary>Opaque NodeIds (the server's session authentication tokens) hash by their bytes.</summary>
public sealed class NodeIdTests
{
    [Fact]
    public void Opaque_node_ids_of_one_length_spread_over_hash_codes()
    {
        // Before, the hash was the length alone: 1,000 sessions' tokens shared one bucket of the server's token table.
        var hashes = Enumerable.Range(0, 1000).Select(_ => NodeId.Of(RandomNumberGenerator.GetBytes(32), 0).GetHashCode()).ToHashSet();
        Assert.True(hashes.Count > 990, $"{hashes.Count} distinct hash codes of 1,000 tokens");
    }

    [Fact]
    public void Equal_opaque_node_ids_hash_alike()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(NodeId.Of(bytes, 2).GetHashCode(), NodeId.Of(bytes.ToArray(), 2).GetHashCode());
        Assert.Equal(NodeId.Of(bytes, 2), NodeId.Of(bytes.ToArray(), 2));
    }
}
