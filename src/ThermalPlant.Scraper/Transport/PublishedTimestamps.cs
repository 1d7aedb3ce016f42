using System.Text;
using Microsoft.Extensions.Options;
using ThermalPlant.Storage.Events;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Transport;

/// <summary>
/// With the NATS transport the scraper may not reach any database, so a back-fill starts from the newest timestamp
/// per variable that JetStream acknowledged, kept here and saved to <c>DataDirectory/published.bin</c> every
/// <see cref="NatsTransportOptions.CheckpointInterval"/> and at stop. After a crash the saved times are at most that
/// interval old: the back-fill then publishes a little again, which the database's unique (tag, time) stores once.
/// The newest acknowledged event time per endpoint is kept with them, under a key no node id has, for the event back-fill.
/// </summary>
internal sealed partial class PublishedTimestamps : IStoredTimestamps
{
    private static readonly byte[] Magic = "TPPUB1\n"u8.ToArray();

    // A NUL cannot start a node id's text, so this key never meets a variable's.
    private const string EventsKey = "\0events";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, DateTime>> _byEndpoint = new(StringComparer.Ordinal);
    private readonly string _path;
    private bool _dirty;

    public PublishedTimestamps(IOptions<ScraperOptions> options, IHostEnvironment environment, ILogger<PublishedTimestamps> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        var directory = Path.GetFullPath(options.Value.Storage.DataDirectory, environment.ContentRootPath);
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "published.bin");
        try
        {
            Load();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or EndOfStreamException)
        {
            _byEndpoint.Clear();
            LogUnreadable(logger, _path, ex.Message);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, DateTime>> LastPerNodeAsync(string endpoint, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyDictionary<string, DateTime> result = _byEndpoint.TryGetValue(endpoint, out var nodes)
                ? new Dictionary<string, DateTime>(nodes, StringComparer.Ordinal)
                : new Dictionary<string, DateTime>(StringComparer.Ordinal);
            return Task.FromResult(result);
        }
    }

    /// <summary>Records samples JetStream acknowledged.</summary>
    public void Observe(IReadOnlyList<Sample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        lock (_lock)
        {
            Dictionary<string, DateTime>? nodes = null;
            string? endpoint = null;
            foreach (var sample in samples)
            {
                if (!string.Equals(endpoint, sample.Tag.Endpoint, StringComparison.Ordinal))
                {
                    endpoint = sample.Tag.Endpoint;
                    if (!_byEndpoint.TryGetValue(endpoint, out nodes)) _byEndpoint[endpoint] = nodes = new(StringComparer.Ordinal);
                }
                if (!nodes!.TryGetValue(sample.Tag.NodeId, out var last) || sample.Timestamp > last) nodes[sample.Tag.NodeId] = sample.Timestamp;
            }
            _dirty |= samples.Count > 0;
        }
    }

    /// <summary>Records events JetStream acknowledged.</summary>
    public void ObserveEvents(IReadOnlyList<StoredEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_lock)
        {
            foreach (var e in events)
            {
                if (!_byEndpoint.TryGetValue(e.Endpoint, out var nodes)) _byEndpoint[e.Endpoint] = nodes = new(StringComparer.Ordinal);
                if (!nodes.TryGetValue(EventsKey, out var last) || e.Time > last) nodes[EventsKey] = e.Time;
            }
            _dirty |= events.Count > 0;
        }
    }

    /// <summary>The newest event time of <paramref name="endpoint"/> JetStream acknowledged, or null.</summary>
    public DateTime? NewestEvent(string endpoint)
    {
        lock (_lock)
        {
            return _byEndpoint.TryGetValue(endpoint, out var nodes) && nodes.TryGetValue(EventsKey, out var newest) ? newest : null;
        }
    }

    /// <summary>Saves the times when they changed: a temporary file renamed over the old one, so a crash leaves one or the other whole.</summary>
    public void Save()
    {
        byte[] bytes;
        lock (_lock)
        {
            if (!_dirty) return;
            using var buffer = new MemoryStream();
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(_byEndpoint.Count);
                foreach (var (endpoint, nodes) in _byEndpoint)
                {
                    writer.Write(endpoint);
                    writer.Write(nodes.Count);
                    foreach (var (node, time) in nodes)
                    {
                        writer.Write(node);
                        writer.Write(time.Ticks);
                    }
                }
            }
            bytes = buffer.ToArray();
            _dirty = false;
        }
        var temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
    }

    private void Load()
    {
        if (!File.Exists(_path)) return;
        using var reader = new BinaryReader(File.OpenRead(_path), Encoding.UTF8);
        if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("not a published-timestamps file");
        var endpoints = reader.ReadInt32();
        if (endpoints is < 0 or > 100_000) throw new InvalidDataException($"{endpoints} endpoints");
        for (var i = 0; i < endpoints; i++)
        {
            var endpoint = reader.ReadString();
            var count = reader.ReadInt32();
            if (count is < 0 or > 10_000_000) throw new InvalidDataException($"{count} variables");
            var nodes = new Dictionary<string, DateTime>(StringComparer.Ordinal);
            for (var j = 0; j < count; j++) nodes[reader.ReadString()] = new DateTime(reader.ReadInt64(), DateTimeKind.Utc);
            _byEndpoint[endpoint] = nodes;
        }
    }

    [LoggerMessage(EventId = 660, Level = LogLevel.Warning, Message = "The published timestamps in {Path} cannot be read ({Problem}); back-fills start from the first value received this run")]
    private static partial void LogUnreadable(ILogger logger, string path, string problem);
}
