using System.Buffers.Binary;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Sensors.Devices;

namespace ThermalPlant.Sensors.Tests.Devices;

public sealed class AudioSourceTests
{
    [Fact]
    public void Pcm16_stereo_is_mixed_to_mono()
    {
        var wav = Wav(format: 1, channels: 2, rate: 16000, bits: 16, data: Pcm16([16384, -16384, 32767, 32767]));
        var file = WavFile.Parse(wav);
        Assert.Equal(16000, file.SampleRate);
        Assert.Equal([0f, 32767 / 32768f], file.Samples);
    }

    [Fact]
    public void Float32_mono_is_read_as_is()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data, 0.25f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -0.5f);
        Assert.Equal([0.25f, -0.5f], WavFile.Parse(Wav(3, 1, 44100, 32, data)).Samples);
    }

    [Fact]
    public void Unknown_chunks_are_skipped_with_their_padding()
    {
        var wav = Wav(1, 1, 8000, 16, Pcm16([1000]), extraChunk: "LIST", extraLength: 3);
        Assert.Single(WavFile.Parse(wav).Samples);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("bogus-length")]
    [InlineData("not-riff")]
    [InlineData("8-bit")]
    [InlineData("no-data")]
    public void Malformed_files_are_refused_with_a_reason(string kind)
    {
        var wav = Wav(1, 1, 8000, 16, Pcm16([1, 2, 3, 4]));
        var bad = kind switch
        {
            "truncated" => wav[..^3],
            "bogus-length" => Patch(wav, 40, uint.MaxValue),
            "not-riff" => [.. "RIFX"u8.ToArray(), .. wav[4..]],
            "8-bit" => Wav(1, 1, 8000, 8, [1, 2, 3]),
            _ => wav[..36],
        };
        var error = Assert.Throws<InvalidDataException>(() => WavFile.Parse(bad));
        Assert.False(string.IsNullOrEmpty(error.Message));
    }

    [Fact]
    public async Task Replay_is_paced_in_real_time_and_loops()
    {
        var time = new FakeTimeProvider();
        var file = WavFile.Parse(Wav(1, 1, 1000, 16, Pcm16([.. Enumerable.Range(0, 300).Select(i => (short)i)])));
        await using var source = new WavFileSource(file, time, loop: true);
        var block = new float[500];
        var pending = source.ReadAsync(block, CancellationToken.None).AsTask();
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(500, await pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(block[0], block[300]);
    }

    [Fact]
    public async Task Replay_without_loop_ends()
    {
        var file = WavFile.Parse(Wav(1, 1, 1000, 16, Pcm16([1, 2, 3])));
        await using var source = new WavFileSource(file, TimeProvider.System, loop: false, paced: false);
        var block = new float[10];
        Assert.Equal(3, await source.ReadAsync(block, CancellationToken.None));
        Assert.Equal(0, await source.ReadAsync(block, CancellationToken.None));
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Alsa_capture_converts_arecord_output_and_restarts_it_after_it_ends()
    {
        var directory = Directory.CreateTempSubdirectory("thermalplant-arecord-").FullName;
        var script = Path.Combine(directory, "arecord");
        // Stands in for arecord: checks its arguments, then writes three samples (0, 16384, -32768) and exits.
        await File.WriteAllTextAsync(script, """
            #!/bin/sh
            [ "$1 $2 $3 $4 $5 $6 $7 $8 $9 ${10} ${11}" = "-q -D plughw:1,0 -f S16_LE -c 1 -r 16000 -t raw" ] || exit 3
            printf '\000\000\000\100\000\200'
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var capture = new AlsaCapture("plughw:1,0", 16000, script);
        var block = new float[3];
        Assert.Equal(3, await capture.ReadAsync(block, CancellationToken.None));
        Assert.Equal([0f, 0.5f, -1f], block);
        Assert.Equal(0, await capture.ReadAsync(block, CancellationToken.None));
        Assert.Equal(3, await capture.ReadAsync(block, CancellationToken.None));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Alsa_capture_that_fails_reports_arecords_complaint()
    {
        var directory = Directory.CreateTempSubdirectory("thermalplant-arecord-").FullName;
        var script = Path.Combine(directory, "arecord");
        await File.WriteAllTextAsync(script, """
            #!/bin/sh
            echo "arecord: main:831: audio open error: Device or resource busy" >&2
            exit 1
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var capture = new AlsaCapture("plughw:1,0", 16000, script);
        var error = await Assert.ThrowsAsync<DeviceException>(async () => await capture.ReadAsync(new float[3], CancellationToken.None));
        Assert.Contains("exited with code 1: arecord: main:831: audio open error: Device or resource busy", error.Message, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Usb_card_is_found_in_proc_asound_cards()
    {
        var cards = Path.GetTempFileName();
        await File.WriteAllTextAsync(cards, " 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n                      bcm2835 Headphones\n 1 [Device         ]: USB-Audio - USB PnP Sound Device\n");
        Assert.Equal("plughw:1,0", AlsaCapture.FindUsbDevice(cards));
        Assert.Equal("default", AlsaCapture.FindUsbDevice("/nonexistent/cards"));
        File.Delete(cards);
    }

    private static byte[] Pcm16(short[] samples)
    {
        var data = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(2 * i), samples[i]);
        return data;
    }

    private static byte[] Patch(byte[] wav, int offset, uint value)
    {
        var copy = wav.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }

    private static byte[] Wav(int format, int channels, int rate, int bits, byte[] data, string? extraChunk = null, int extraLength = 0)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.ASCII);
        writer.Write("RIFF"u8);
        writer.Write(0);
        writer.Write("WAVE"u8);
        writer.Write("fmt "u8);
        writer.Write(16);
        writer.Write((short)format);
        writer.Write((short)channels);
        writer.Write(rate);
        writer.Write(rate * channels * bits / 8);
        writer.Write((short)(channels * bits / 8));
        writer.Write((short)bits);
        if (extraChunk is not null)
        {
            writer.Write(Encoding.ASCII.GetBytes(extraChunk));
            writer.Write(extraLength);
            writer.Write(new byte[extraLength + (extraLength & 1)]);
        }
        writer.Write("data"u8);
        writer.Write(data.Length);
        writer.Write(data);
        writer.Flush();
        var bytes = stream.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), bytes.Length - 8);
        return bytes;
    }
}
