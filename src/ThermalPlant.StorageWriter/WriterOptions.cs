using ThermalPlant.Hosting;
using ThermalPlant.Nats;
using ThermalPlant.Storage;
using ThermalPlant.Storage.Schema;

namespace ThermalPlant.StorageWriter;

/// <summary>The storage writer's configuration (section <c>Writer</c>), checked as a whole when the host starts.</summary>
public sealed class WriterOptions : IValidatableOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Writer";

    /// <summary>The cluster and the stream.</summary>
    public NatsLinkOptions Nats { get; set; } = new();

    /// <summary>The stream's settings, applied by every writer at start (create or update).</summary>
    public StreamOptions Stream { get; set; } = new();

    /// <summary>The durable consumers every writer instance shares.</summary>
    public ConsumerOptions Consumer { get; set; } = new();

    /// <summary>The databases; each takes the sites listed for it.</summary>
    public IList<ShardOptions> Shards { get; set; } = [];

    /// <summary>How often the stream's fill and the consumers' backlog are read for /metrics and the limit warnings.</summary>
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The share of MaxBytes or MaxAge at which the stream's fill is logged as a warning.</summary>
    public double LimitWarningRatio { get; set; } = 0.8;

    /// <inheritdoc />
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        Nats.Validate($"{sectionPath}:Nats", errors);
        Stream.Validate($"{sectionPath}:Stream", errors);
        Consumer.Validate($"{sectionPath}:Consumer", errors);
        if (Shards.Count == 0) errors.Add($"{sectionPath}:Shards must list at least one database with its sites (Shards:0:Name, Shards:0:ConnectionString, Shards:0:Sites:0)");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var sites = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Shards.Count; i++)
        {
            var key = $"{sectionPath}:Shards:{i}";
            var shard = Shards[i];
            shard.Validate(key, errors);
            if (!names.Add(shard.Name)) errors.Add($"{key}:Name '{shard.Name}' is used by another shard");
            foreach (var site in shard.Sites)
            {
                if (!sites.TryAdd(site, shard.Name)) errors.Add($"{key}:Sites: site '{site}' is mapped to shard '{sites[site]}' already; a site's samples go to one database");
            }
        }
        if (MonitorInterval < TimeSpan.FromMilliseconds(100) || MonitorInterval > TimeSpan.FromHours(1)) errors.Add($"{sectionPath}:MonitorInterval must be between 100 ms and 1 hour");
        if (LimitWarningRatio is <= 0 or > 1) errors.Add($"{sectionPath}:LimitWarningRatio must be above 0 and at most 1");
    }
}

/// <summary>
/// The stream (section <c>Writer:Stream</c>). It keeps a message until every consumer acknowledged it (interest
/// retention) and refuses new messages once <see cref="MaxBytes"/> is reached (discard new), so a full stream
/// pushes back to the scrapers, whose spill files take the excess; a message older than <see cref="MaxAge"/> is
/// removed whether written or not, which the writers warn of before it happens.
/// </summary>
public sealed class StreamOptions
{
    /// <summary>Copies of every message (Raft-replicated); 3 survives one node lost, at most the cluster's size.</summary>
    public int Replicas { get; set; } = 3;

    /// <summary>The oldest a message may get; older ones are removed even if no writer stored them.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The stream's size limit on each node; at it, publishes are refused and scrapers keep their batches.</summary>
    public long MaxBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>How long the stream remembers message ids, within which a re-sent batch is stored once.</summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(2);

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (Replicas is < 1 or > 5) errors.Add($"{prefix}:Replicas must be between 1 and 5");
        if (MaxAge < TimeSpan.FromSeconds(1)) errors.Add($"{prefix}:MaxAge must be at least 1 second");
        if (MaxBytes < 64 * 1024) errors.Add($"{prefix}:MaxBytes must be at least 64 KiB");
        if (DuplicateWindow < TimeSpan.FromSeconds(1) || DuplicateWindow > MaxAge) errors.Add($"{prefix}:DuplicateWindow must be between 1 second and MaxAge");
    }
}

/// <summary>The durable pull consumers (section <c>Writer:Consumer</c>): one per site, named <c>{Name}_{shard}_{site}</c>, shared by every writer instance.</summary>
public sealed class ConsumerOptions
{
    /// <summary>The consumers' name prefix.</summary>
    public string Name { get; set; } = "writer";

    /// <summary>How long a delivered message may stay unacknowledged before JetStream gives it to another instance (a writer killed mid-batch).</summary>
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages delivered and not yet acknowledged, per consumer, across instances.</summary>
    public int MaxAckPending { get; set; } = 1000;

    /// <summary>Most messages taken at once (the first waited for, the rest as far as they are there); their samples are written in one transaction.</summary>
    public int FetchMessages { get; set; } = 16;

    /// <summary>How long a writer waits for the first message of a batch before asking again.</summary>
    public TimeSpan FetchWait { get; set; } = TimeSpan.FromSeconds(1);

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!SampleSubjects.IsToken(Name) || Name.Contains('_', StringComparison.Ordinal)) errors.Add($"{prefix}:Name must be a subject token without '_', found '{Name}'");
        if (AckWait < TimeSpan.FromSeconds(1)) errors.Add($"{prefix}:AckWait must be at least 1 second");
        if (MaxAckPending is < 1 or > 100_000) errors.Add($"{prefix}:MaxAckPending must be between 1 and 100000");
        if (FetchMessages is < 1 or > 1000) errors.Add($"{prefix}:FetchMessages must be between 1 and 1000");
        if (FetchWait < TimeSpan.FromSeconds(1) || FetchWait >= AckWait) errors.Add($"{prefix}:FetchWait must be at least 1 second and below AckWait");
    }
}

/// <summary>One database and the sites it stores (section <c>Writer:Shards:N</c>).</summary>
public sealed class ShardOptions
{
    /// <summary>The shard's name (in consumer names, logs and metrics).</summary>
    public string Name { get; set; } = "";

    /// <summary>Npgsql connection string or <c>postgres://</c> URL; from the environment in production.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Which schema path a database without one gets.</summary>
    public StoragePathPreference Path { get; set; } = StoragePathPreference.Auto;

    /// <summary>The sites (the scrapers' <c>Scraper:Nats:Site</c>) whose samples this database stores.</summary>
    public IList<string> Sites { get; set; } = [];

    /// <summary>Raw samples older than this are dropped (plain path; TimescaleDB has its own policy).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often partitions are made ahead and retention applied (plain path).</summary>
    public TimeSpan PartitionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often due rollups are refreshed (plain path).</summary>
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Events older than this are removed from the shard's <c>events</c> table, as the direct scraper's
    /// <c>Scraper:Events:Retention</c> does: on TimescaleDB the table's retention policy is set to it, on plain
    /// PostgreSQL the expired rows are deleted. Read again every <see cref="EventsRetentionInterval"/>.
    /// </summary>
    public TimeSpan EventsRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often the events' retention is applied (from start).</summary>
    public TimeSpan EventsRetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one batch's write may take before it counts as failed.</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first wait after a failed write or migration; it doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!SampleSubjects.IsToken(Name) || Name.Contains('_', StringComparison.Ordinal)) errors.Add($"{prefix}:Name must be a subject token without '_', found '{Name}'");
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add($"{prefix}:ConnectionString must be set");
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
        if (Sites.Count == 0) errors.Add($"{prefix}:Sites must list at least one site");
        for (var i = 0; i < Sites.Count; i++)
        {
            if (!SampleSubjects.IsToken(Sites[i])) errors.Add($"{prefix}:Sites:{i} must be a site name without '.', '*', '>' or spaces, found '{Sites[i]}'");
        }
        if (Retention < TimeSpan.FromHours(1)) errors.Add($"{prefix}:Retention must be at least 1 hour");
        if (PartitionInterval <= TimeSpan.Zero) errors.Add($"{prefix}:PartitionInterval must be positive");
        if (RollupInterval <= TimeSpan.Zero) errors.Add($"{prefix}:RollupInterval must be positive");
        if (EventsRetention < TimeSpan.FromHours(1)) errors.Add($"{prefix}:EventsRetention must be at least 1 hour");
        if (EventsRetentionInterval <= TimeSpan.Zero || EventsRetentionInterval > TimeSpan.FromDays(1)) errors.Add($"{prefix}:EventsRetentionInterval must be between 0 and 1 day");
        if (WriteTimeout <= TimeSpan.Zero) errors.Add($"{prefix}:WriteTimeout must be positive");
        if (RetryMinDelay <= TimeSpan.Zero) errors.Add($"{prefix}:RetryMinDelay must be positive");
        if (RetryMaxDelay < RetryMinDelay) errors.Add($"{prefix}:RetryMaxDelay must be at least RetryMinDelay");
    }
}
