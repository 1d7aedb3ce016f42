using ThermalPlant.Simulation.Dsp;

namespace ThermalPlant.Simulation;

/// <summary>How <see cref="VirtualPlant"/> samples the plant: the sensors service's defaults, seen through the OPC server's poll.</summary>
public sealed class VirtualPlantOptions
{
    /// <summary>Seconds between the OPC server's polls of the scalar readings (its <c>PollInterval</c>).</summary>
    public double PollSeconds { get; set; } = 1;

    /// <summary>Seconds between tachometer samples; the published speed is the mean of the last <see cref="RpmWindow"/>.</summary>
    public double TachometerSeconds { get; set; } = 0.2;

    /// <summary>Tachometer samples averaged into the published speed.</summary>
    public int RpmWindow { get; set; } = 5;

    /// <summary>Supply conversions averaged into one voltage reading.</summary>
    public int VoltageAveraging { get; set; } = 4;

    /// <summary>
    /// Seconds between spectra handed on; null for no audio at all. The service analyses every 0.1 s and a client
    /// sees one per poll; a virtual run may take fewer, since synthesizing and analysing audio is most of its cost.
    /// </summary>
    public double? SpectrumSeconds { get; set; } = 10;

    /// <summary>Seconds of audio each spectrum covers (the sensors service's <c>SampleDuration</c>).</summary>
    public double ChunkSeconds { get; set; } = 1;

    /// <summary>The audio analysis (the sensors service's <c>AudioFeatures</c>).</summary>
    public AudioFeatureOptions Audio { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming each invalid setting.</summary>
    public void ThrowIfInvalid()
    {
        var errors = new List<string>();
        if (!(PollSeconds is >= 0.05 and <= 60)) errors.Add("PollSeconds must be between 0.05 and 60");
        if (!(TachometerSeconds is >= 0.01 and <= 60) || TachometerSeconds > PollSeconds) errors.Add("TachometerSeconds must be between 0.01 and PollSeconds");
        if (RpmWindow is < 1 or > 1000) errors.Add("RpmWindow must be between 1 and 1000");
        if (VoltageAveraging is < 1 or > 64) errors.Add("VoltageAveraging must be between 1 and 64");
        if (SpectrumSeconds is not null && !(SpectrumSeconds >= PollSeconds && SpectrumSeconds <= 3600)) errors.Add("SpectrumSeconds must be between PollSeconds and 3600");
        if (!(ChunkSeconds is >= 0.25 and <= 10)) errors.Add("ChunkSeconds must be between 0.25 and 10");
        Audio.Validate("Audio:", errors);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
    }
}
