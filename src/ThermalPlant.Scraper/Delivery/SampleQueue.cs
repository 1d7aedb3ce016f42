using Microsoft.Extensions.Options;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The samples on their way to storage (<see cref="SpillQueue{T}"/>): up to <see cref="StorageOptions.QueueCapacity"/>
/// in memory, beyond that in the spill file <c>spill.bin</c> of <see cref="StorageOptions.DataDirectory"/>.
/// </summary>
internal sealed class SampleQueue : SpillQueue<Sample>
{
    private static readonly SpillQueueNames Names = new("samples", "queue", "spill file", 600, 604, ScraperMetrics.QueueDepth, ScraperMetrics.SpillBytes);

    private readonly LatestValues _latest;

    public SampleQueue(IOptions<ScraperOptions> options, IHostEnvironment environment, LatestValues latest, ILogger<SampleQueue> logger)
        : this(DataDirectory(options, environment), options.Value.Storage.QueueCapacity, latest, logger)
    {
    }

    private SampleQueue(string directory, int capacity, LatestValues latest, ILogger logger)
        : base(SampleSpillCodec.Open(directory), directory, capacity, Names, logger) => _latest = latest;

    /// <summary>The directory the spill files live in.</summary>
    internal static string DataDirectory(IOptions<ScraperOptions> options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        return Path.GetFullPath(options.Value.Storage.DataDirectory, environment.ContentRootPath);
    }

    /// <inheritdoc />
    protected override void OnAdding(IReadOnlyCollection<Sample> items) => _latest.Observe(items);
}
