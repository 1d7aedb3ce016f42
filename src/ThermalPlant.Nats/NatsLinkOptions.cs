using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace ThermalPlant.Nats;

/// <summary>Where the NATS cluster is and which stream carries samples; the scraper and the storage writer share these keys.</summary>
public class NatsLinkOptions
{
    /// <summary>The cluster's servers, comma-separated <c>nats://host:port</c> URLs; the client moves to another when one fails.</summary>
    public string Url { get; set; } = "nats://127.0.0.1:4222";

    /// <summary>The JetStream stream's name.</summary>
    public string Stream { get; set; } = "THERMALPLANT_SAMPLES";

    /// <summary>The first subject levels; samples go to <c>{SubjectPrefix}.{site}.{sensor}</c>.</summary>
    public string SubjectPrefix { get; set; } = "thermalplant.samples";

    /// <summary>The events' subjects, <c>{EventSubjectPrefix}.{site}</c>, in the same stream; apart from the samples' prefix.</summary>
    public string EventSubjectPrefix { get; set; } = "thermalplant.events";

    /// <summary>Longest wait for a JetStream answer (a publish acknowledgement, a stream or consumer request).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks the keys; messages name the full key under <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var urls = (Url ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (urls.Length == 0 || urls.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Port <= 0))
        {
            errors.Add($"{prefix}:Url must be one or more comma-separated nats://host:port URLs, found '{Url}'");
        }
        if (string.IsNullOrEmpty(Stream) || Stream.Length > 64 || !Stream.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            errors.Add($"{prefix}:Stream must be 1 to 64 letters, digits, '_' or '-', found '{Stream}'");
        }
        if (!SampleSubjects.IsPrefix(SubjectPrefix)) errors.Add($"{prefix}:SubjectPrefix must be dot-separated subject tokens without wildcards or spaces, found '{SubjectPrefix}'");
        if (!SampleSubjects.IsPrefix(EventSubjectPrefix)) errors.Add($"{prefix}:EventSubjectPrefix must be dot-separated subject tokens without wildcards or spaces, found '{EventSubjectPrefix}'");
        else if (SampleSubjects.Matches(SampleSubjects.All(SubjectPrefix), EventSubjectPrefix + ".x") || SampleSubjects.Matches(SampleSubjects.All(EventSubjectPrefix), SubjectPrefix + ".x"))
        {
            errors.Add($"{prefix}:EventSubjectPrefix '{EventSubjectPrefix}' and SubjectPrefix '{SubjectPrefix}' must not lie one under the other: sample consumers would take events");
        }
        if (RequestTimeout < TimeSpan.FromMilliseconds(100) || RequestTimeout > TimeSpan.FromMinutes(5)) errors.Add($"{prefix}:RequestTimeout must be between 100 ms and 5 minutes");
    }

    /// <summary>
    /// A connection that retries the first connect and reconnects for ever (with backoff up to 5 s): the caller's loops
    /// see failures as timeouts and retry, and nothing is lost while it is away.
    /// </summary>
    public NatsConnection Connect(string name, ILoggerFactory loggers) => new(new NatsOpts
    {
        Url = Url,
        Name = name,
        LoggerFactory = loggers,
        RetryOnInitialConnect = true,
        MaxReconnectRetry = -1,
        ReconnectWaitMin = TimeSpan.FromMilliseconds(200),
        ReconnectWaitMax = TimeSpan.FromSeconds(5),
        RequestTimeout = RequestTimeout,
        CommandTimeout = RequestTimeout,
    });
}
