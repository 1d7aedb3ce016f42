using System.Buffers.Binary;
using System.Diagnostics;

namespace ThermalPlant.Sensors.Devices;

/// <summary>
/// Microphone capture on Linux through ALSA's <c>arecord</c> (16-bit little-endian mono raw on its stdout),
/// converted to floats. When arecord ends (device unplugged) a read returns 0; the next read starts it again.
/// </summary>
public sealed class AlsaCapture : IAudioSource
{
    private readonly string _command;
    private readonly string _device;
    private Process? _process;
    private byte[] _bytes = [];
    private int _carry;

    /// <summary>Captures from ALSA <paramref name="device"/> at <paramref name="sampleRate"/> with <paramref name="command"/> (arecord's path).</summary>
    public AlsaCapture(string device, int sampleRate, string command = "arecord")
    {
        _device = device;
        _command = command;
        SampleRate = sampleRate;
    }

    /// <inheritdoc />
    public int SampleRate { get; }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(Memory<float> destination, CancellationToken cancellationToken)
    {
        var process = _process ?? Start();
        var needed = destination.Length * 2;
        if (_bytes.Length < needed) Array.Resize(ref _bytes, needed);
        var filled = _carry;
        var stream = process.StandardOutput.BaseStream;
        while (filled < needed)
        {
            var read = await stream.ReadAsync(_bytes.AsMemory(filled, needed - filled), cancellationToken);
            if (read == 0) break;
            filled += read;
        }
        var samples = filled / 2;
        var span = destination.Span;
        for (var i = 0; i < samples; i++)
        {
            span[i] = BinaryPrimitives.ReadInt16LittleEndian(_bytes.AsSpan(2 * i)) / 32768f;
        }
        // An odd byte count leaves half a sample for the next read.
        _carry = filled - (2 * samples);
        if (_carry > 0) _bytes[0] = _bytes[2 * samples];
        if (samples == 0) await StopAsync();
        return samples;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>The ALSA name of the first USB capture card in /proc/asound/cards, or <c>default</c>.</summary>
    public static string FindUsbDevice(string cardsFile = "/proc/asound/cards")
    {
        if (!File.Exists(cardsFile)) return "default";
        foreach (var line in File.ReadLines(cardsFile))
        {
            // " 1 [Device         ]: USB-Audio - USB PnP Sound Device"
            var trimmed = line.TrimStart();
            var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && int.TryParse(trimmed.AsSpan(0, space), out var card) && trimmed.Contains("USB-Audio", StringComparison.Ordinal))
            {
                return $"plughw:{card},0";
            }
        }
        return "default";
    }

    private Process Start()
    {
        _carry = 0;
        var info = new ProcessStartInfo(_command, ["-q", "-D", _device, "-f", "S16_LE", "-c", "1", "-r", SampleRate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "raw"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(info) ?? throw new DeviceException($"{_command} did not start");
        // arecord's complaints (device busy, no such device) would block it if nobody read them.
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        return _process;
    }

    private async ValueTask StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _process = null;
    }
}
