using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ThermalPlant.Nats;

/// <summary>
/// The wire pieces the batch codecs share: LEB128 numbers, little-endian 64-bit integers and length-prefixed UTF-8
/// texts, each written to a buffer writer without allocating.
/// </summary>
internal static class BatchWire
{
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    public static void WriteInt64(IBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public static void WriteVarint(IBufferWriter<byte> output, ulong value)
    {
        var span = output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        output.Advance(i);
    }

    /// <summary>
    /// A text as its UTF-8 length plus <paramref name="lengthBias"/> (1 leaves 0 for a null text) and its bytes;
    /// refused when longer than <paramref name="maxBytes"/>, so what is written can always be read back.
    /// </summary>
    public static void WriteUtf8(IBufferWriter<byte> output, string text, int lengthBias, int maxBytes)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        if (length > maxBytes) throw new ArgumentException($"A text of {length} bytes; at most {maxBytes}.", nameof(text));
        WriteVarint(output, (ulong)(length + lengthBias));
        Encoding.UTF8.GetBytes(text, output.GetSpan(length));
        output.Advance(length);
    }
}

/// <summary>
/// Reads a batch from a peer: every length and count is checked against what is left and against its limit before
/// use, so a hostile or truncated batch ends in <see cref="InvalidDataException"/>, never in a large allocation.
/// </summary>
/// <param name="data">The batch.</param>
/// <param name="maxStringBytes">The longest text accepted, in UTF-8 bytes.</param>
internal ref struct BatchReader(ReadOnlySpan<byte> data, int maxStringBytes)
{
    private ReadOnlySpan<byte> _data = data;

    public readonly int Remaining => _data.Length;

    public ReadOnlySpan<byte> Bytes(int count)
    {
        if (count > _data.Length) throw new InvalidDataException($"The batch ends {count - _data.Length} bytes early.");
        var result = _data[..count];
        _data = _data[count..];
        return result;
    }

    public ulong Varint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_data.IsEmpty) throw new InvalidDataException("The batch ends inside a number.");
            var b = _data[0];
            _data = _data[1..];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("A number longer than 10 bytes.");
    }

    public int Count(int max, string what)
    {
        var count = Varint();
        if (count > (ulong)max) throw new InvalidDataException($"{count} {what} in one batch, more than {max}.");
        return (int)count;
    }

    public DateTime Time()
    {
        var ticks = BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));
        if (ticks < 0 || ticks > DateTime.MaxValue.Ticks) throw new InvalidDataException("A time out of range.");
        return new DateTime(ticks, DateTimeKind.Utc);
    }

    public string String() => Encoding.UTF8.GetString(Bytes(Count(maxStringBytes, "text bytes")));

    /// <summary>A text written with a length bias of 1, where 0 is null.</summary>
    public string? Optional()
    {
        var length = Count(maxStringBytes + 1, "text bytes");
        return length == 0 ? null : Encoding.UTF8.GetString(Bytes(length - 1));
    }

    /// <summary>A text that shares a counted prefix with <paramref name="previous"/>, followed by its own rest.</summary>
    public string FrontCoded(string previous)
    {
        var shared = Varint();
        if (shared > (ulong)previous.Length) throw new InvalidDataException($"A name shares {shared} characters with a previous one of {previous.Length}.");
        var rest = String();
        if ((ulong)rest.Length + shared > (ulong)maxStringBytes) throw new InvalidDataException($"A name longer than {maxStringBytes} characters.");
        return string.Concat(previous.AsSpan(0, (int)shared), rest);
    }
}
