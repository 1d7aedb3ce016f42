using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Transport;

/// <summary>The server's chunk reader: chunks split across receives, its buffer grown and given back, its bounds.</summary>
public sealed class ChunkReaderTests
{
    private static readonly Action<MessageHeader> AnyHeader = _ => { };

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(5000)]
    public async Task Chunks_split_across_many_receives_are_read_whole_and_in_order(int bytesPerReceive)
    {
        var chunks = new[] { Chunk(ChunkType.Intermediate, 100, 1), Chunk(ChunkType.Intermediate, 40_000, 2), Chunk(ChunkType.Final, 9_000, 3), Chunk(ChunkType.Final, 30, 4) };
        var pool = new CountingPool();
        using var reader = new ChunkReader(new TricklingStream([.. chunks.SelectMany(c => c)], bytesPerReceive), 65535, pool);

        foreach (var expected in chunks)
        {
            var (header, chunk) = (await reader.ReadAsync(AnyHeader, CancellationToken.None))!.Value;
            Assert.Equal((uint)expected.Length, header.Size);
            Assert.Equal(expected, chunk.ToArray());
        }
        Assert.Null(await reader.ReadAsync(AnyHeader, CancellationToken.None));
        Assert.Equal(1, pool.Outstanding);
    }

    [Fact]
    public async Task A_new_reader_holds_only_its_initial_buffer_whatever_the_receive_buffer_offered()
    {
        var pool = new CountingPool();
        using var reader = new ChunkReader(new TricklingStream(Chunk(ChunkType.Final, 500, 1), 1000), 1 << 20, pool);

        Assert.Equal(ChunkReader.InitialSize, reader.BufferSize);
        Assert.NotNull(await reader.ReadAsync(AnyHeader, CancellationToken.None));
        Assert.Equal(ChunkReader.InitialSize, reader.BufferSize);
        Assert.Equal(ChunkReader.InitialSize, pool.Largest);
    }

    [Fact]
    public async Task A_large_chunk_grows_the_buffer_which_goes_back_to_the_pool_once_everything_received_is_read()
    {
        var pool = new CountingPool();
        var stream = new TricklingStream([.. Chunk(ChunkType.Final, 50_000, 1), .. Chunk(ChunkType.Final, 200, 2)], 65536);
        using var reader = new ChunkReader(stream, 65535, pool);

        var (_, large) = (await reader.ReadAsync(AnyHeader, CancellationToken.None))!.Value;
        Assert.Equal(50_000, large.Length);
        Assert.True(reader.BufferSize >= 50_000);
        // The small chunk came in the same receive: it is read from the large buffer, which is kept until it is.
        var (_, small) = (await reader.ReadAsync(AnyHeader, CancellationToken.None))!.Value;
        Assert.Equal(200, small.Length);
        Assert.True(reader.BufferSize >= 50_000);

        Assert.Null(await reader.ReadAsync(AnyHeader, CancellationToken.None));
        Assert.Equal(ChunkReader.InitialSize, reader.BufferSize);
        Assert.Equal(1, pool.Outstanding);
        Assert.True(pool.Largest <= 65536, $"rented {pool.Largest} bytes");
    }

    [Fact]
    public async Task A_chunk_larger_than_the_receive_buffer_is_refused_from_its_header_before_its_body_is_received()
    {
        var pool = new CountingPool();
        var header = new byte[MessageHeader.Length + 4];
        new MessageHeader(MessageType.Message, ChunkType.Final, 1_000_000).Write(header);
        var stream = new TricklingStream([.. header, .. new byte[100_000]], MessageHeader.Length + 4);
        using var reader = new ChunkReader(stream, 16384, pool);

        var refused = await Assert.ThrowsAsync<OpcUaException>(async () => await reader.ReadAsync(AnyHeader, CancellationToken.None));

        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, refused.Status.Code);
        Assert.Equal(1, stream.Receives);
        Assert.Equal(ChunkReader.InitialSize, pool.Largest);
    }

    [Fact]
    public async Task The_header_check_runs_before_the_buffer_grows()
    {
        var pool = new CountingPool();
        using var reader = new ChunkReader(new TricklingStream(Chunk(ChunkType.Final, 60_000, 1), 8), 65535, pool);

        var refused = await Assert.ThrowsAsync<OpcUaException>(async () => await reader.ReadAsync(
            h => throw new OpcUaException(StatusCodes.BadTcpMessageTooLarge, $"{h.Size} is too much"),
            CancellationToken.None));

        Assert.Equal(StatusCodes.BadTcpMessageTooLarge, refused.Status.Code);
        Assert.Equal(ChunkReader.InitialSize, pool.Largest);
    }

    [Fact]
    public async Task A_peer_that_closes_within_a_chunk_ends_the_read_with_an_error()
    {
        var chunk = Chunk(ChunkType.Final, 20_000, 1);
        using var reader = new ChunkReader(new TricklingStream(chunk[..15_000], 4096), 65535, new CountingPool());

        await Assert.ThrowsAsync<EndOfStreamException>(async () => await reader.ReadAsync(AnyHeader, CancellationToken.None));
    }

    [Fact]
    public async Task Dispose_returns_the_buffer_grown_or_not_and_the_reader_is_not_used_after()
    {
        var pool = new CountingPool();
        var reader = new ChunkReader(new TricklingStream([.. Chunk(ChunkType.Final, 30_000, 1), .. Chunk(ChunkType.Final, 20, 2)], 65536), 65535, pool);
        Assert.NotNull(await reader.ReadAsync(AnyHeader, CancellationToken.None));
        Assert.True(reader.BufferSize > ChunkReader.InitialSize);

        reader.Dispose();
        reader.Dispose();

        Assert.Equal(0, pool.Outstanding);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await reader.ReadAsync(AnyHeader, CancellationToken.None));
    }

    [Fact]
    public async Task A_thousand_idle_readers_hold_their_initial_buffers_only()
    {
        var pool = new CountingPool();
        var readers = Enumerable.Range(0, 1000).Select(_ => new ChunkReader(new TricklingStream(Chunk(ChunkType.Final, 100, 1), 4096), 65535, pool)).ToList();
        foreach (var reader in readers) Assert.NotNull(await reader.ReadAsync(AnyHeader, CancellationToken.None));

        Assert.Equal(1000L * ChunkReader.InitialSize, pool.OutstandingBytes);
        foreach (var reader in readers) reader.Dispose();
        Assert.Equal(0, pool.Outstanding);
    }

    /// <summary>A MSG chunk of <paramref name="size"/> bytes whose body bytes are <paramref name="fill"/>.</summary>
    private static byte[] Chunk(ChunkType type, int size, byte fill)
    {
        var chunk = new byte[size];
        chunk.AsSpan(MessageHeader.Length).Fill(fill);
        new MessageHeader(MessageType.Message, type, (uint)size).Write(chunk);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(MessageHeader.Length), 1);
        return chunk;
    }

    /// <summary>A peer that sends <c>bytes</c>, at most <c>perReceive</c> of them for each receive, then closes.</summary>
    private sealed class TricklingStream(byte[] bytes, int perReceive) : Stream
    {
        private int _at;

        /// <summary>Receives that returned bytes.</summary>
        public int Receives { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // A receive into no room would read as the peer's end: the reader must never ask for it.
            Assert.False(buffer.IsEmpty, "a receive into an empty buffer");
            var count = Math.Min(Math.Min(perReceive, buffer.Length), bytes.Length - _at);
            bytes.AsSpan(_at, count).CopyTo(buffer);
            _at += count;
            if (count > 0) Receives++;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A pool that counts what is rented and not returned, and refuses an array returned twice or not its own.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        private readonly HashSet<byte[]> _out = new(ReferenceEqualityComparer.Instance);

        public int Outstanding => _out.Count;

        public long OutstandingBytes => _out.Sum(a => (long)a.Length);

        public int Largest { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            var array = new byte[minimumLength];
            _out.Add(array);
            Largest = Math.Max(Largest, minimumLength);
            return array;
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Assert.True(_out.Remove(array), $"an array of {array.Length} bytes returned that is not out (twice, or not rented here); {RuntimeHelpers.GetHashCode(array)}");
        }
    }
}
