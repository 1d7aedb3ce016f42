using System.Numerics;

namespace ThermalPlant.Simulation.Dsp;

/// <summary>
/// Parameters of the audio analysis. The defaults follow the original build, so features its users recorded
/// stay comparable: torchaudio's MelSpectrogram (50 bands) and MFCC (50 coefficients over 128 HTK mel bands,
/// f_min 1 Hz), n_fft 8192, hop 1024, power 2, dB with top_db 80.
/// </summary>
public sealed class AudioFeatureOptions
{
    /// <summary>Samples per second of the analysed audio.</summary>
    public int SampleRate { get; set; } = 44100;

    /// <summary>FFT length (and Hann window length); a power of two.</summary>
    public int FftSize { get; set; } = 8192;

    /// <summary>Samples between successive frames.</summary>
    public int HopLength { get; set; } = 1024;

    /// <summary>Mel bands of the served spectrum.</summary>
    public int SpectrumBands { get; set; } = 50;

    /// <summary>Lowest frequency of the spectrum's mel scale, Hz.</summary>
    public double SpectrumMinFrequency { get; set; }

    /// <summary>Highest frequency of the spectrum's mel scale, Hz; null for half the sample rate.</summary>
    public double? SpectrumMaxFrequency { get; set; }

    /// <summary>Mel bands the MFCCs are computed from.</summary>
    public int MfccMelBands { get; set; } = 128;

    /// <summary>Lowest frequency of the MFCCs' mel scale, Hz.</summary>
    public double MfccMinFrequency { get; set; } = 1;

    /// <summary>Highest frequency of the MFCCs' mel scale, Hz; null for half the sample rate.</summary>
    public double? MfccMaxFrequency { get; set; }

    /// <summary>Dynamic range kept below the loudest value of a chunk, dB.</summary>
    public double TopDb { get; set; } = 80;

    /// <summary>Seconds between analyses of the latest chunk.</summary>
    public double UpdateIntervalSeconds { get; set; } = 0.1;

    /// <summary>The spectrum's highest frequency in force, Hz.</summary>
    public double SpectrumMax => SpectrumMaxFrequency ?? SampleRate / 2;

    /// <summary>The MFCCs' highest frequency in force, Hz.</summary>
    public double MfccMax => MfccMaxFrequency ?? SampleRate / 2;

    /// <summary>Adds a message per invalid setting to <paramref name="errors"/>, each starting with <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (SampleRate is < 8000 or > 192000) errors.Add($"{prefix}SampleRate must be between 8000 and 192000");
        if (FftSize is < 64 or > 65536 || !BitOperations.IsPow2(FftSize)) errors.Add($"{prefix}FftSize must be a power of two between 64 and 65536");
        if (HopLength < 1 || HopLength > FftSize) errors.Add($"{prefix}HopLength must be between 1 and FftSize");
        if (SpectrumBands < 1 || SpectrumBands > (FftSize / 2) + 1) errors.Add($"{prefix}SpectrumBands must be between 1 and FftSize/2+1");
        if (MfccMelBands < 1 || MfccMelBands > (FftSize / 2) + 1) errors.Add($"{prefix}MfccMelBands must be between 1 and FftSize/2+1");
        if (SpectrumMinFrequency < 0 || SpectrumMinFrequency >= SpectrumMax || SpectrumMax > SampleRate / 2) errors.Add($"{prefix}SpectrumMinFrequency and SpectrumMaxFrequency must satisfy 0 <= min < max <= SampleRate/2");
        if (MfccMinFrequency < 0 || MfccMinFrequency >= MfccMax || MfccMax > SampleRate / 2) errors.Add($"{prefix}MfccMinFrequency and MfccMaxFrequency must satisfy 0 <= min < max <= SampleRate/2");
        if (!(TopDb is > 0 and <= 200)) errors.Add($"{prefix}TopDb must be between 0 and 200");
        if (!(UpdateIntervalSeconds is >= 0.01 and <= 10)) errors.Add($"{prefix}UpdateIntervalSeconds must be between 0.01 and 10");
    }
}
