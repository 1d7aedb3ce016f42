namespace ThermalPlant.Scraper.Events;

/// <summary>The queue between the event subscriptions and the <c>events</c> table, and the table's retention (section <c>Scraper:Events</c>).</summary>
public sealed class EventStorageOptions
{
    /// <summary>Events held in memory; beyond this everything waiting goes to the event spill file (next to the sample spill file).</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Most events per INSERT.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>The longest an event waits for its batch to fill.</summary>
    public TimeSpan BatchDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Events older than this are removed from the <c>events</c> table: by TimescaleDB's retention policy (set to this
    /// every <see cref="RetentionInterval"/> when it differs, whole weekly chunks) or, on plain PostgreSQL, by the
    /// scraper's delete every <see cref="RetentionInterval"/>. Read again each interval, so a change in a configuration
    /// that reloads (appsettings.json) takes effect without a restart.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often the retention is applied: the policy checked on TimescaleDB, expired events deleted on the plain path (read at start).</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (QueueCapacity is < 1 or > 10_000_000) errors.Add($"{prefix}:QueueCapacity must be between 1 and 10000000");
        if (BatchSize is < 1 or > 100_000) errors.Add($"{prefix}:BatchSize must be between 1 and 100000");
        if (BatchDelay <= TimeSpan.Zero || BatchDelay > TimeSpan.FromMinutes(1)) errors.Add($"{prefix}:BatchDelay must be between 0 and 1 minute");
        if (Retention < TimeSpan.FromHours(1)) errors.Add($"{prefix}:Retention must be at least 1 hour");
        if (RetentionInterval <= TimeSpan.Zero || RetentionInterval > TimeSpan.FromDays(1)) errors.Add($"{prefix}:RetentionInterval must be between 0 and 1 day");
    }
}
