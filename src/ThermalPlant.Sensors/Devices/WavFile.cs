using System.Buffers.Binary;
using System.Text;

namespace ThermalPlant.Sensors.Devices;

/// <summary>
/// A RIFF/WAVE file's audio as mono floats: PCM 16-bit or IEEE float 32-bit, any channel count mixed down.
/// Every chunk length is checked against the file before it is used.
/// </summary>
public sealed class WavFile
{
    private WavFile(int sampleRate, float[] samples)
    {
        SampleRate = sampleRate;
        Samples = samples;
    }

    /// <summary>Samples per second.</summary>
    public int SampleRate { get; }

    /// <summary>Mono samples in [-1, 1].</summary>
    public float[] Samples { get; }

    /// <summary>Parses <paramref name="data"/>; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static WavFile Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 12 || !data[..4].SequenceEqual("RIFF"u8) || !data.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("not a RIFF/WAVE file");
        }
        int? format = null, channels = null, rate = null, bits = null;
        var position = 12;
        while (position + 8 <= data.Length)
        {
            var id = data.Slice(position, 4);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(position + 4, 4));
            var body = position + 8;
            if (length > (uint)(data.Length - body))
            {
                throw new InvalidDataException($"chunk '{Encoding.ASCII.GetString(id)}' claims {length} bytes, the file has {data.Length - body} left");
            }
            var chunk = data.Slice(body, (int)length);
            if (id.SequenceEqual("fmt "u8))
            {
                if (chunk.Length < 16) throw new InvalidDataException("fmt chunk shorter than 16 bytes");
                format = BinaryPrimitives.ReadUInt16LittleEndian(chunk);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(chunk[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(chunk[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(chunk[14..]);
                // WAVE_FORMAT_EXTENSIBLE carries the real format in its sub-format GUID's first two bytes.
                if (format == 0xFFFE && chunk.Length >= 26) format = BinaryPrimitives.ReadUInt16LittleEndian(chunk[24..]);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (format is null) throw new InvalidDataException("data chunk before fmt chunk");
                return new WavFile(ValidRate(rate!.Value), Decode(chunk, format.Value, channels!.Value, bits!.Value));
            }
            // Chunks are padded to an even length.
            position = body + (int)length + (int)(length & 1);
        }
        throw new InvalidDataException("no data chunk");
    }

    private static int ValidRate(int rate) => rate is >= 1000 and <= 384000 ? rate : throw new InvalidDataException($"sample rate {rate} Hz is not plausible");

    private static float[] Decode(ReadOnlySpan<byte> data, int format, int channels, int bits)
    {
        if (channels is < 1 or > 32) throw new InvalidDataException($"{channels} channels is not supported");
        var (pcm16, float32) = (format == 1 && bits == 16, format == 3 && bits == 32);
        if (!pcm16 && !float32) throw new InvalidDataException($"format {format} with {bits} bits is not supported (PCM 16-bit or float 32-bit)");
        var frameBytes = channels * bits / 8;
        var frames = data.Length / frameBytes;
        var samples = new float[frames];
        for (var f = 0; f < frames; f++)
        {
            var frame = data.Slice(f * frameBytes, frameBytes);
            float sum = 0;
            for (var c = 0; c < channels; c++)
            {
                sum += pcm16
                    ? BinaryPrimitives.ReadInt16LittleEndian(frame[(2 * c)..]) / 32768f
                    : BinaryPrimitives.ReadSingleLittleEndian(frame[(4 * c)..]);
            }
            samples[f] = Math.Clamp(sum / channels, -1f, 1f);
        }
        return samples;
    }
}
