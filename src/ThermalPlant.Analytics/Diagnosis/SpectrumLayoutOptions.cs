namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// The mel spectrum's layout, as the sensors service computes it (HTK mel scale, triangular filters, band edges
/// evenly spaced in mel between the minimum and maximum frequency). Band frequencies are derived from these, so
/// they must match the spectrum's <c>parameters</c> (<c>sample_rate</c>, <c>n_mels</c>, <c>f_min</c>, <c>f_max</c>).
/// </summary>
public sealed class SpectrumLayoutOptions
{
    /// <summary>Sample rate of the analysed audio, Hz.</summary>
    public int SampleRate { get; set; } = 44100;

    /// <summary>Mel bands of the spectrum (<c>Band_0</c> .. <c>Band_{Bands-1}</c>).</summary>
    public int Bands { get; set; } = 50;

    /// <summary>Lowest frequency of the mel scale, Hz.</summary>
    public double MinFrequency { get; set; }

    /// <summary>Highest frequency of the mel scale, Hz; null for half the sample rate.</summary>
    public double? MaxFrequency { get; set; }

    internal double Max => MaxFrequency ?? SampleRate / 2;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (SampleRate is < 8000 or > 192000) errors.Add($"{prefix}SampleRate must be between 8000 and 192000");
        if (Bands is < 1 or > 1024) errors.Add($"{prefix}Bands must be between 1 and 1024");
        if (!(MinFrequency >= 0 && MinFrequency < Max && Max <= SampleRate / 2)) errors.Add($"{prefix}MinFrequency and MaxFrequency must satisfy 0 <= min < max <= SampleRate/2");
    }
}
