namespace ThermalPlant.Sensors.Devices;

/// <summary>The kinds of hardware audio source.</summary>
public enum AudioSourceKind
{
    /// <summary>An ALSA capture device through arecord.</summary>
    Alsa,
    /// <summary>A WAV file replayed in real time.</summary>
    WavFile,
}
