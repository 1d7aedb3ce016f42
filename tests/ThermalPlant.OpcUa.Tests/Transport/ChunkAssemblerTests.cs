using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Transport;

/// <summary>Joining a message's chunks: the pooled join buffer held only while a message is gathered, and the message size bound.</summary>
public sealed class ChunkAssemblerTests
{
    [Fact]
    public void The_join_buffer_is_kept_while_a_message_is_gathered_and_goes_back_between_messages()
    {
        using var assembler = new ChunkAssembler(new TransportLimits { ReceiveBufferSize = 8192 });
        var part = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();

        Assert.True(assembler.Add(ChunkType.Intermediate, part).IsEmpty);
        assembler.ReleaseBuffer();
        Assert.True(assembler.BufferSize >= 5000);
        Assert.Equal([.. part, .. part], assembler.Add(ChunkType.Final, part).ToArray());

        assembler.ReleaseBuffer();
        Assert.Equal(0, assembler.BufferSize);
        Assert.True(assembler.Add(ChunkType.Intermediate, part).IsEmpty);
        Assert.Equal(10_000, assembler.Add(ChunkType.Final, part).Length);
    }

    [Fact]
    public void A_message_beyond_the_message_size_is_refused_at_the_chunk_that_crosses_it_and_the_next_one_is_joined()
    {
        using var assembler = new ChunkAssembler(new TransportLimits { ReceiveBufferSize = 8192, MaxMessageSize = 20_000, MaxChunkCount = 0 });
        var part = new byte[6000];
        for (var i = 0; i < 3; i++) Assert.True(assembler.Add(ChunkType.Intermediate, part).IsEmpty);

        var refused = Assert.Throws<OpcUaException>(() => assembler.Add(ChunkType.Intermediate, part).Length);

        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, refused.Status.Code);
        assembler.ReleaseBuffer();
        Assert.Equal(0, assembler.BufferSize);
        Assert.True(assembler.Add(ChunkType.Intermediate, part).IsEmpty);
        Assert.Equal(12_000, assembler.Add(ChunkType.Final, part).Length);
    }
}
