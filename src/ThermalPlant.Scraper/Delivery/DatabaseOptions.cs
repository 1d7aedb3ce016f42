using ThermalPlant.Storage;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>The database samples are written to (section <c>Scraper:Database</c>).</summary>
public sealed class DatabaseOptions
{
    /// <summary>
    /// Npgsql connection string or <c>postgres://user:password@host:port/db?sslmode=...</c> URL (read by
    /// <see cref="DatabaseUrl"/>, as the CLI reads it); from the environment (<c>Scraper__Database__ConnectionString</c>) in production.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Which schema path a database without one gets (Auto picks TimescaleDB when it can be created).</summary>
    public StoragePathPreference Path { get; set; } = StoragePathPreference.Auto;

    /// <summary>Raw samples older than this are dropped (plain path; TimescaleDB has its own policy).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often partitions are made ahead and retention applied (plain path).</summary>
    public TimeSpan PartitionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often due rollups are refreshed (plain path); the smallest default schedule is 5 s.</summary>
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one batch write may take before it counts as failed and is retried.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first wait after a failed write or migration; it doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add($"{prefix}:ConnectionString must be set (e.g. Host=localhost;Database=thermalplant;Username=thermalplant)");
        }
        else
        {
            try
            {
                _ = DatabaseUrl.ToConnectionString(ConnectionString);
            }
            catch (FormatException ex)
            {
                errors.Add($"{prefix}:ConnectionString is not a valid connection string or postgres:// URL: {ex.Message}");
            }
        }
        if (!Enum.IsDefined(Path)) errors.Add($"{prefix}:Path must be Auto, Plain or TimescaleDb");
        if (Retention < TimeSpan.FromHours(1)) errors.Add($"{prefix}:Retention must be at least 1 hour");
        if (PartitionInterval <= TimeSpan.Zero) errors.Add($"{prefix}:PartitionInterval must be positive");
        if (RollupInterval <= TimeSpan.Zero) errors.Add($"{prefix}:RollupInterval must be positive");
        if (WriteTimeout <= TimeSpan.Zero) errors.Add($"{prefix}:WriteTimeout must be positive");
        if (RetryMinDelay <= TimeSpan.Zero) errors.Add($"{prefix}:RetryMinDelay must be positive");
        if (RetryMaxDelay < RetryMinDelay) errors.Add($"{prefix}:RetryMaxDelay must be at least RetryMinDelay");
    }
}
