namespace ThermalPlant.Scraper.Delivery;

/// <summary>The queue between sources and database (section <c>Scraper:Storage</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>Where the spill file lives; relative paths are under the content root. It must survive restarts.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Samples held in memory; beyond this everything waiting goes to the spill file.</summary>
    public int QueueCapacity { get; set; } = 500_000;

    /// <summary>Most samples per COPY.</summary>
    public int BatchSize { get; set; } = 10_000;

    /// <summary>The longest a sample waits for its batch to fill.</summary>
    public TimeSpan BatchDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (string.IsNullOrWhiteSpace(DataDirectory)) errors.Add($"{prefix}:DataDirectory must name a directory");
        if (QueueCapacity is < 1 or > 100_000_000) errors.Add($"{prefix}:QueueCapacity must be between 1 and 100000000");
        if (BatchSize is < 1 or > 1_000_000) errors.Add($"{prefix}:BatchSize must be between 1 and 1000000");
        if (BatchDelay <= TimeSpan.Zero || BatchDelay > TimeSpan.FromMinutes(1)) errors.Add($"{prefix}:BatchDelay must be between 0 and 1 minute");
    }
}
