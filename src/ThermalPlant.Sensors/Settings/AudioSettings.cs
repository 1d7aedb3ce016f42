namespace ThermalPlant.Sensors.Settings;

/// <summary>Audio analysis, in the original build's <c>/audio/settings</c> shape.</summary>
public sealed record AudioSettings
{
    /// <summary>Seconds of audio each analysis covers (the chunk).</summary>
    public double SampleDuration { get; set; } = 1.0;

    /// <summary>MFCC coefficients computed and served.</summary>
    public int MfccCount { get; set; } = 50;

    /// <summary>Chunks of audio kept in the capture ring.</summary>
    public int BufferSize { get; set; } = 3;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!(SampleDuration is >= 0.25 and <= 10)) errors.Add($"{prefix}SampleDuration must be between 0.25 and 10 seconds");
        if (MfccCount is < 1 or > 128) errors.Add($"{prefix}MfccCount must be between 1 and 128");
        if (BufferSize is < 1 or > 32) errors.Add($"{prefix}BufferSize must be between 1 and 32");
    }
}
