using Microsoft.Extensions.Options;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Storage.Events;

namespace ThermalPlant.Scraper.Events;

/// <summary>
/// The events on their way to storage, the same path as the samples' (<see cref="SpillQueue{T}"/>): up to
/// <see cref="EventStorageOptions.QueueCapacity"/> in memory, beyond that in the event spill file <c>events.bin</c>
/// next to the sample spill file.
/// </summary>
internal sealed class EventQueue(IOptions<ScraperOptions> options, IHostEnvironment environment, ILogger<EventQueue> logger)
    : SpillQueue<StoredEvent>(EventSpillCodec.Open(SampleQueue.DataDirectory(options, environment)), SampleQueue.DataDirectory(options, environment), options.Value.Events.QueueCapacity, Names, logger)
{
    private static readonly SpillQueueNames Names = new("events", "event queue", "event spill file", 640, 655, EventMetrics.QueueDepth, EventMetrics.SpillBytes);
}
