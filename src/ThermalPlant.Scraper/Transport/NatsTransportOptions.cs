using ThermalPlant.Nats;

namespace ThermalPlant.Scraper.Transport;

/// <summary>Where the scraper's samples go (<c>Scraper:Transport</c>).</summary>
public enum TransportKind
{
    /// <summary>Straight into the database with binary COPY (one plant; the default).</summary>
    Direct,

    /// <summary>To a NATS JetStream stream, from which storage writers take them (many plants).</summary>
    Nats,
}

/// <summary>The NATS transport (section <c>Scraper:Nats</c>), used when <c>Scraper:Transport</c> is <c>Nats</c>.</summary>
public sealed class NatsTransportOptions : NatsLinkOptions
{
    /// <summary>This plant's name, the second subject level; storage shards are assigned by it. Required.</summary>
    public string Site { get; set; } = "";

    /// <summary>Most samples per message; a queue batch becomes one message per (endpoint, sensor) and chunk of this size.</summary>
    public int MaxSamplesPerMessage { get; set; } = 5000;

    /// <summary>
    /// Most publishes awaiting JetStream's acknowledgement at once (1 waits for each before sending the next). A batch
    /// still leaves the queue only once all its messages are acknowledged; after a failure the ones not acknowledged
    /// are sent again, so the stream may store a batch's messages out of their order.
    /// </summary>
    public int MaxInFlight { get; set; } = 32;

    /// <summary>The first wait after a refused or unanswered publish; it doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between publish attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the newest published timestamp per variable (where a back-fill starts) is saved to the data directory.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the stream is checked for a consumer that takes this site (without one an interest stream drops what is published).</summary>
    public TimeSpan ConsumerCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    internal new void Validate(string prefix, ICollection<string> errors)
    {
        base.Validate(prefix, errors);
        if (!SampleSubjects.IsToken(Site)) errors.Add($"{prefix}:Site must be set to this plant's name: 1 to 64 characters without '.', '*', '>' or spaces, found '{Site}'");
        if (MaxSamplesPerMessage is < 1 or > SampleBatchCodec.MaxSamples) errors.Add($"{prefix}:MaxSamplesPerMessage must be between 1 and {SampleBatchCodec.MaxSamples}");
        if (MaxInFlight is < 1 or > 1024) errors.Add($"{prefix}:MaxInFlight must be between 1 and 1024");
        if (RetryMinDelay <= TimeSpan.Zero) errors.Add($"{prefix}:RetryMinDelay must be positive");
        if (RetryMaxDelay < RetryMinDelay) errors.Add($"{prefix}:RetryMaxDelay must be at least RetryMinDelay");
        if (CheckpointInterval < TimeSpan.FromMilliseconds(100) || CheckpointInterval > TimeSpan.FromHours(1)) errors.Add($"{prefix}:CheckpointInterval must be between 100 ms and 1 hour");
        if (ConsumerCheckInterval < TimeSpan.FromMilliseconds(100) || ConsumerCheckInterval > TimeSpan.FromHours(1)) errors.Add($"{prefix}:ConsumerCheckInterval must be between 100 ms and 1 hour");
    }
}
