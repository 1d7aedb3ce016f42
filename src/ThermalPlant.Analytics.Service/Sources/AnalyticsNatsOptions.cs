using ThermalPlant.Nats;

namespace ThermalPlant.Analytics.Service.Sources;

/// <summary>Where the analytics service takes its samples from (<c>Analytics:Source</c>).</summary>
public enum AnalyticsSourceKind
{
    /// <summary>Subscribes to the OPC UA endpoints of <c>Analytics:Sources</c> (one plant; the default).</summary>
    OpcUa,

    /// <summary>Reads the samples the scrapers publish to the NATS JetStream stream (section <c>Analytics:Nats</c>).</summary>
    Nats,
}

/// <summary>
/// The JetStream stream the analytics service reads with <c>Analytics:Source = Nats</c> (section <c>Analytics:Nats</c>):
/// one durable pull consumer of its own per site, named <c>{Consumer}_{site}</c>, beside the storage writers' ones.
/// </summary>
public sealed class AnalyticsNatsOptions : NatsLinkOptions
{
    /// <summary>The placeholder in <see cref="PathPrefix"/> replaced by the site's name.</summary>
    public const string SitePlaceholder = "{site}";

    /// <summary>The sites (the scrapers' <c>Scraper:Nats:Site</c>) whose samples are analysed. At least one.</summary>
    public IList<string> Sites { get; set; } = [];

    /// <summary>The consumers' name; each site's durable consumer is <c>{Consumer}_{site}</c>.</summary>
    public string Consumer { get; set; } = "analytics";

    /// <summary>
    /// Put in front of a sample's sensor and tag name to make its tag path (<c>{PathPrefix}/{sensor}/{tag}</c>, the tag
    /// name's <see cref="TagSeparator"/> turned into '/'); <c>{site}</c> in it is replaced by the site. With several
    /// sites it must hold <c>{site}</c>, so that their tags stay apart.
    /// </summary>
    public string PathPrefix { get; set; } = "Plant";

    /// <summary>The scrapers' <c>Scraper:OpcUa:Endpoints:N:Separator</c>: the levels of a tag name, each a level of the path.</summary>
    public string TagSeparator { get; set; } = ".";

    /// <summary>How long a fetched message may stay unacknowledged before JetStream redelivers it.</summary>
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most messages fetched and not yet acknowledged, per site.</summary>
    public int MaxAckPending { get; set; } = 1000;

    /// <summary>Most messages taken at once (the first waited for, the rest as far as they are there); scored together.</summary>
    public int FetchMessages { get; set; } = 64;

    /// <summary>How long a fetch waits for the first message before asking again.</summary>
    public TimeSpan FetchWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most tags analysed per site (each costs its detector's state, a few KB); samples of further tags are skipped.</summary>
    public int MaxVariables { get; set; } = 20_000;

    /// <summary>The first wait after a failure (stream missing, NATS away); it doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The durable consumer reading <paramref name="site"/>.</summary>
    public string ConsumerName(string site) => $"{Consumer}_{site}";

    /// <summary>The tag path of a sample of <paramref name="site"/> with these sensor and tag names.</summary>
    public string TagPath(string site, string sensor, string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var levels = string.IsNullOrEmpty(TagSeparator) ? tag : tag.Replace(TagSeparator, "/", StringComparison.Ordinal);
        return $"{PathPrefix.Replace(SitePlaceholder, site, StringComparison.Ordinal)}/{sensor}/{levels}";
    }

    internal new void Validate(string prefix, ICollection<string> errors)
    {
        base.Validate(prefix, errors);
        if (Sites.Count == 0) errors.Add($"{prefix}:Sites must list at least one site to analyse (Sites:0)");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Sites.Count; i++)
        {
            if (!SampleSubjects.IsToken(Sites[i])) errors.Add($"{prefix}:Sites:{i} must be a site name without '.', '*', '>' or spaces, found '{Sites[i]}'");
            else if (!seen.Add(Sites[i])) errors.Add($"{prefix}:Sites:{i}: site '{Sites[i]}' is listed twice");
        }
        if (!SampleSubjects.IsToken(Consumer) || Consumer.Contains('_', StringComparison.Ordinal)) errors.Add($"{prefix}:Consumer must be a name without '_', '.', '*', '>' or spaces, found '{Consumer}'");
        if (string.IsNullOrWhiteSpace(PathPrefix) || PathPrefix.StartsWith('/') || PathPrefix.EndsWith('/')) errors.Add($"{prefix}:PathPrefix must be a tag path such as Plant or {SitePlaceholder}/Plant, neither starting nor ending with '/'");
        else if (Sites.Count > 1 && !PathPrefix.Contains(SitePlaceholder, StringComparison.Ordinal)) errors.Add($"{prefix}:PathPrefix must hold {SitePlaceholder} when several sites are analysed, or their tags would share paths");
        if (TagSeparator is null) errors.Add($"{prefix}:TagSeparator must be set (empty keeps a tag name one level)");
        if (AckWait < TimeSpan.FromSeconds(1)) errors.Add($"{prefix}:AckWait must be at least 1 second");
        if (MaxAckPending is < 1 or > 100_000) errors.Add($"{prefix}:MaxAckPending must be between 1 and 100000");
        if (FetchMessages is < 1 or > 1000) errors.Add($"{prefix}:FetchMessages must be between 1 and 1000");
        if (FetchWait < TimeSpan.FromSeconds(1) || FetchWait >= AckWait) errors.Add($"{prefix}:FetchWait must be at least 1 second and below AckWait");
        if (MaxVariables is < 1 or > 1_000_000) errors.Add($"{prefix}:MaxVariables must be between 1 and 1000000");
        if (RetryMinDelay <= TimeSpan.Zero) errors.Add($"{prefix}:RetryMinDelay must be positive");
        if (RetryMaxDelay < RetryMinDelay) errors.Add($"{prefix}:RetryMaxDelay must be at least RetryMinDelay");
    }
}
