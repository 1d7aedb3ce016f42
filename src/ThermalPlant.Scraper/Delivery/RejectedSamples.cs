using Microsoft.Extensions.Options;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// Samples the database refused as data (not because it was away): kept in <c>DataDirectory/rejected</c> in the
/// spill file's format, counted and logged, so that they can be inspected and the rest of the queue goes on.
/// </summary>
internal sealed partial class RejectedSamples : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SpillFile<Sample> _file;
    private readonly ILogger _logger;

    public RejectedSamples(IOptions<ScraperOptions> options, IHostEnvironment environment, ILogger<RejectedSamples> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _file = SampleSpillCodec.Open(Path.Combine(Path.GetFullPath(options.Value.Storage.DataDirectory, environment.ContentRootPath), "rejected"));
        _logger = logger;
    }

    /// <summary>Keeps <paramref name="sample"/> and says why the database refused it.</summary>
    public void Reject(Sample sample, string reason)
    {
        lock (_lock) _file.Append([sample]);
        ScraperMetrics.Rejected.Inc();
        LogRejected(_logger, sample.Tag.SensorName, sample.Tag.TagName, sample.Timestamp, reason);
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    [LoggerMessage(EventId = 620, Level = LogLevel.Error, Message = "The database refused the sample of {Sensor}/{Tag} at {Timestamp:o}: {Reason}. It is kept in the rejected file; the rest of the queue is stored")]
    private static partial void LogRejected(ILogger logger, string sensor, string tag, DateTime timestamp, string reason);
}
