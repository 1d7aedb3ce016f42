namespace ThermalPlant.Sensors.Devices;

/// <summary>Where hardware mode takes its audio from.</summary>
public sealed class AudioCaptureSettings
{
    /// <summary><c>Alsa</c> (a capture device) or <c>WavFile</c> (replay of a recording).</summary>
    public AudioSourceKind Source { get; set; } = AudioSourceKind.Alsa;

    /// <summary>ALSA device name; empty for the first USB capture card, else <c>default</c>.</summary>
    public string Device { get; set; } = "";

    /// <summary>Path of arecord (alsa-utils).</summary>
    public string ArecordPath { get; set; } = "arecord";

    /// <summary>The WAV file replayed when <see cref="Source"/> is <c>WavFile</c>.</summary>
    public string WavPath { get; set; } = "";

    /// <summary>Start the WAV file over at its end.</summary>
    public bool Loop { get; set; } = true;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!Enum.IsDefined(Source)) errors.Add($"{prefix}Source must be Alsa or WavFile");
        if (Source == AudioSourceKind.WavFile && !File.Exists(WavPath)) errors.Add($"{prefix}WavPath must name an existing WAV file");
    }
}
