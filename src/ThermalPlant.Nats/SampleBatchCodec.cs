using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using ThermalPlant.Storage.Writing;

using static ThermalPlant.Nats.BatchWire;

namespace ThermalPlant.Nats;

/// <summary>A batch read back from a message: the samples and the endpoint they came from.</summary>
/// <param name="Endpoint">The endpoint every sample's tag belongs to.</param>
/// <param name="Samples">The samples, in the order they were encoded.</param>
public sealed record DecodedBatch(string Endpoint, Sample[] Samples);

/// <summary>
/// The compact binary form of a batch of samples of one endpoint, as one JetStream message carries it. The encoding
/// is deterministic (the same samples in the same order give the same bytes), so <see cref="MessageId"/>, a hash of
/// the bytes, names the content: a batch published again after a lost acknowledgement is stored once by the stream.
/// </summary>
/// <remarks>
/// Layout (integers little-endian, <c>varint</c> as in protobuf, strings a varint byte length then UTF-8):
/// the magic <c>TPB1</c>; the endpoint; the sensor name (one per batch: the publisher batches per endpoint and sensor);
/// the tag count, then per tag its node id and tag name, each front-coded against the previous tag's (a varint count
/// of leading UTF-16 characters shared, then the rest as a string), since a sensor's tags differ mostly at the end;
/// the sample count; the first sample's UTC ticks (int64); then per sample the tag index (varint), the ticks since
/// the previous sample (zig-zag varint), the value (IEEE 754 double) and the OPC UA status (varint). A sample costs
/// 11 to 20 bytes, plus its tag's few bytes once per message. Every count and length read is bounded, so a malformed
/// message is refused (<see cref="InvalidDataException"/>) without a large allocation.
/// </remarks>
public static class SampleBatchCodec
{
    /// <summary>Most samples one message may hold; the encoder is never given more by the publisher.</summary>
    public const int MaxSamples = 100_000;

    /// <summary>Most distinct tags one message may name.</summary>
    public const int MaxTags = 100_000;

    /// <summary>Longest string (endpoint, node id, name) in bytes.</summary>
    public const int MaxStringBytes = 4096;

    private static ReadOnlySpan<byte> Magic => "TPB1"u8;

    /// <summary>Encodes <paramref name="samples"/>, all of tags of <paramref name="endpoint"/> and of one sensor name, into <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">Too many samples, a tag of another endpoint or sensor, or a string too long.</exception>
    public static void Encode(string endpoint, ReadOnlySpan<Sample> samples, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(output);
        if (samples.Length is 0 or > MaxSamples) throw new ArgumentException($"A batch holds 1 to {MaxSamples} samples, not {samples.Length}.", nameof(samples));
        var sensor = samples[0].Tag.SensorName;
        var indices = new Dictionary<TagKey, int>();
        var tags = new List<TagKey>();
        foreach (ref readonly var sample in samples)
        {
            if (!string.Equals(sample.Tag.Endpoint, endpoint, StringComparison.Ordinal))
            {
                throw new ArgumentException($"A sample of {sample.Tag.Endpoint} in a batch of {endpoint}.", nameof(samples));
            }
            if (!string.Equals(sample.Tag.SensorName, sensor, StringComparison.Ordinal))
            {
                throw new ArgumentException($"A sample of sensor {sample.Tag.SensorName} in a batch of {sensor}.", nameof(samples));
            }
            if (indices.TryAdd(sample.Tag, tags.Count)) tags.Add(sample.Tag);
        }
        Write(output, Magic);
        WriteString(output, endpoint);
        WriteString(output, sensor);
        WriteVarint(output, (ulong)tags.Count);
        string previousNode = "", previousName = "";
        foreach (var tag in tags)
        {
            WriteFrontCoded(output, previousNode, tag.NodeId);
            WriteFrontCoded(output, previousName, tag.TagName);
            previousNode = tag.NodeId;
            previousName = tag.TagName;
        }
        WriteVarint(output, (ulong)samples.Length);
        var previous = samples[0].Timestamp.Ticks;
        var head = output.GetSpan(8);
        BinaryPrimitives.WriteInt64LittleEndian(head, previous);
        output.Advance(8);
        foreach (ref readonly var sample in samples)
        {
            WriteVarint(output, (ulong)indices[sample.Tag]);
            var ticks = sample.Timestamp.Ticks;
            var delta = ticks - previous;
            WriteVarint(output, (ulong)((delta << 1) ^ (delta >> 63)));
            previous = ticks;
            var value = output.GetSpan(8);
            BinaryPrimitives.WriteDoubleLittleEndian(value, sample.Value);
            output.Advance(8);
            WriteVarint(output, sample.StatusCode);
        }
    }

    /// <summary>
    /// Decodes a message. <paramref name="tags"/>, when given, maps (endpoint, node id) to the tag object already made
    /// for it, so a long-running reader keeps one object per tag (the writer's tag cache compares references first).
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a batch, or break a bound.</exception>
    public static DecodedBatch Decode(ReadOnlySpan<byte> data, IDictionary<(string Endpoint, string NodeId), TagKey>? tags = null)
    {
        var reader = new BatchReader(data, MaxStringBytes);
        if (!reader.Bytes(Magic.Length).SequenceEqual(Magic)) throw new InvalidDataException("Not a sample batch (no TPB1 magic).");
        var endpoint = reader.String();
        if (endpoint.Length == 0) throw new InvalidDataException("A sample batch without an endpoint.");
        var sensor = reader.String();
        var tagCount = reader.Count(MaxTags, "tags");
        // Each tag takes at least 4 bytes, each sample at least 10: a count larger than the bytes left cannot be real.
        if ((long)tagCount * 4 > reader.Remaining) throw new InvalidDataException($"{tagCount} tags cannot fit in {reader.Remaining} bytes.");
        var byIndex = new TagKey[tagCount];
        string previousNode = "", previousName = "";
        for (var i = 0; i < tagCount; i++)
        {
            var nodeId = previousNode = reader.FrontCoded(previousNode);
            var tagName = previousName = reader.FrontCoded(previousName);
            if (nodeId.Length == 0) throw new InvalidDataException($"Tag {i} has no node id.");
            if (tags is null)
            {
                byIndex[i] = new TagKey(endpoint, nodeId, sensor, tagName);
            }
            else if (!tags.TryGetValue((endpoint, nodeId), out var known) || known.SensorName != sensor || known.TagName != tagName)
            {
                byIndex[i] = tags[(endpoint, nodeId)] = new TagKey(endpoint, nodeId, sensor, tagName);
            }
            else
            {
                byIndex[i] = known;
            }
        }
        var count = reader.Count(MaxSamples, "samples");
        if ((long)count * 10 > reader.Remaining) throw new InvalidDataException($"{count} samples cannot fit in {reader.Remaining} bytes.");
        var samples = new Sample[count];
        var ticks = count == 0 ? 0 : BinaryPrimitives.ReadInt64LittleEndian(reader.Bytes(8));
        for (var i = 0; i < count; i++)
        {
            var index = reader.Varint();
            if (index >= (ulong)tagCount) throw new InvalidDataException($"Sample {i} names tag {index} of {tagCount}.");
            var zigzag = reader.Varint();
            ticks += (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
            if (ticks is < 0 || ticks > DateTime.MaxValue.Ticks) throw new InvalidDataException($"Sample {i} has a timestamp out of range.");
            var value = BinaryPrimitives.ReadDoubleLittleEndian(reader.Bytes(8));
            var status = reader.Varint();
            if (status > uint.MaxValue) throw new InvalidDataException($"Sample {i} has a status beyond 32 bits.");
            samples[i] = new Sample(byIndex[index], new DateTime(ticks, DateTimeKind.Utc), value, (uint)status);
        }
        if (reader.Remaining != 0) throw new InvalidDataException($"{reader.Remaining} bytes after the last sample.");
        return new DecodedBatch(endpoint, samples);
    }

    /// <summary>The message id of an encoded batch: 128 bits of its SHA-256, as 32 hex digits.</summary>
    public static string MessageId(ReadOnlySpan<byte> encoded)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(encoded, hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    private static void WriteString(IBufferWriter<byte> output, string text) => BatchWire.WriteUtf8(output, text, 0, MaxStringBytes);

    private static void WriteFrontCoded(IBufferWriter<byte> output, string previous, string text)
    {
        var shared = text.AsSpan().CommonPrefixLength(previous);
        // A surrogate pair is never split, so the rest is valid UTF-16 on its own.
        if (shared > 0 && char.IsHighSurrogate(text[shared - 1])) shared--;
        WriteVarint(output, (ulong)shared);
        WriteString(output, text[shared..]);
    }
}
