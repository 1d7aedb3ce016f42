using System.Buffers.Binary;
using System.Diagnostics;

namespace ThermalPlant.Sensors.Devices;

/// <summary>
/// Microphone capture on Linux through ALSA's <c>arecord</c> (16-bit little-endian mono raw on its stdout),
/// converted to floats. When arecord ends a read returns 0, or throws a <see cref="DeviceException"/> with arecord's
/// last complaint when it failed (device busy, unplugged); the next read starts it again.
/// </summary>
public sealed class AlsaCapture : IAudioSource
{
    private readonly string _command;
    private readonly string _device;
    private Process? _process;
    private byte[] _bytes = [];
    private int _carry;
    private volatile string? _lastComplaint;

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
        if (samples == 0)
        {
            var failure = await StopAsync(ended: true);
            if (failure is not null) throw new DeviceException(failure);
        }
        return samples;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(ended: false);

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
        _lastComplaint = null;
        var info = new ProcessStartInfo(_command, ["-q", "-D", _device, "-f", "S16_LE", "-c", "1", "-r", SampleRate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "raw"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(info) ?? throw new DeviceException($"{_command} did not start");
        // arecord's complaints (device busy, no such device) would block it if nobody read them; the last one says
        // why it stopped.
        _process.ErrorDataReceived += (_, line) =>
        {
            if (!string.IsNullOrWhiteSpace(line.Data)) _lastComplaint = line.Data.Trim();
        };
        _process.BeginErrorReadLine();
        return _process;
    }

    /// <summary>
    /// Stops arecord; when its output <paramref name="ended"/> it is exiting by itself, and what it said is the reason
    /// returned when it failed (null otherwise).
    /// </summary>
    private async ValueTask<string?> StopAsync(bool ended)
    {
        if (_process is null) return null;
        var process = _process;
        _process = null;
        using (process)
        {
            if (ended)
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    // Also waits for the end of stderr, so its last complaint has been seen.
                    await process.WaitForExitAsync(grace.Token);
                    return process.ExitCode == 0 ? null : $"{_command} on {_device} exited with code {process.ExitCode}: {_lastComplaint ?? "no message"}";
                }
                catch (OperationCanceledException)
                {
                    // Closed its output but lingers: stop it like any other.
                }
            }
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            return null;
        }
    }
}
