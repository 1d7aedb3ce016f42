using ThermalPlant.Modbus;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Maps;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Sources.Modbus;

/// <summary>
/// Polls one Modbus device at its own rate and queues its values with the device as <c>sensorname</c> and the
/// register's name as <c>tagname</c>; a flag word adds one 0/1 value per named bit (<c>register.flag</c>), a status
/// word its decoded state as the index of its one set bit (<c>register.state</c>; Bad when not one-hot). A failed
/// poll queues every register as Bad without a value (the outage shows in the data, no stale value does) and ends
/// the loop, so the supervisor reconnects with backoff.
/// </summary>
internal sealed partial class ModbusDeviceSource(ModbusDeviceOptions options, SampleQueue queue, SourceHealth health, TimeProvider time, ILogger<ModbusDeviceSource> logger)
{
    private const uint BadNoCommunication = 0x80310000;
    private const uint BadOutOfRange = 0x803C0000;

    private readonly RegisterMapReader _reader = new(options.EffectiveMap());
    private readonly Dictionary<string, TagKey> _tags = new(StringComparer.Ordinal);
    private readonly string _endpoint = $"modbus://{options.Host}:{options.Port}/{options.UnitId}";

    /// <summary>The source's name in logs, health and metrics.</summary>
    public string Name => $"modbus {options.Name}";

    /// <summary>Polls until a poll fails or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var client = new ModbusTcpClient(options.ToClientOptions(), time);
        using var timer = new PeriodicTimer(options.PollInterval, time);
        var connected = false;
        do
        {
            var stamp = time.GetUtcNow().UtcDateTime;
            IReadOnlyList<RegisterValue> values;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    values = await _reader.ReadAsync(client, options.UnitId, cancellationToken);
                    break;
                }
                catch (Exception ex) when (attempt < options.Retries && IsDeviceFailure(ex))
                {
                    LogRetrying(logger, options.Name, attempt + 1, options.Retries, ex.Message);
                }
                catch (Exception ex) when (IsDeviceFailure(ex))
                {
                    queue.Add(Unavailable(stamp));
                    throw new IOException($"polling {options.Name} at {options.Host}:{options.Port} failed: {ex.Message}", ex);
                }
            }
            if (!connected)
            {
                connected = true;
                health.Report(Name, true);
                ScraperMetrics.Connected.WithLabels(Name).Set(1);
                LogPolling(logger, options.Name, options.Host, options.Port, _reader.Plan.Count, options.PollInterval.TotalSeconds);
            }
            var samples = ToSamples(values, stamp);
            queue.Add(samples);
            ScraperMetrics.ValuesReceived.WithLabels(_endpoint).Inc(samples.Count);
            ScraperMetrics.Lag.WithLabels(_endpoint).Set(Math.Max(0, (time.GetUtcNow().UtcDateTime - stamp).TotalSeconds));
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private static bool IsDeviceFailure(Exception ex) =>
        ex is ModbusException or ModbusProtocolException or IOException or System.Net.Sockets.SocketException or TimeoutException;

    private List<Sample> ToSamples(IReadOnlyList<RegisterValue> values, DateTime stamp)
    {
        var samples = new List<Sample>(values.Count * 2);
        foreach (var value in values)
        {
            samples.Add(new Sample(Tag(value.Name), stamp, value.Value, 0));
            if (value.Flags is { } flags)
            {
                foreach (var (flag, set) in flags) samples.Add(new Sample(Tag($"{value.Name}.{flag}"), stamp, set ? 1 : 0, 0));
            }
            if (value.StateBits is { } bits)
            {
                var oneHot = bits != 0 && (bits & (bits - 1)) == 0;
                samples.Add(new Sample(Tag($"{value.Name}.state"), stamp, oneHot ? System.Numerics.BitOperations.TrailingZeroCount(bits) : double.NaN, oneHot ? 0 : BadOutOfRange));
            }
        }
        return samples;
    }

    private List<Sample> Unavailable(DateTime stamp)
    {
        var samples = new List<Sample>(_tags.Count);
        // Only the tags seen in a good poll: the flags and states of a word are known once it was read.
        foreach (var tag in _tags.Values) samples.Add(new Sample(tag, stamp, double.NaN, BadNoCommunication));
        return samples;
    }

    private TagKey Tag(string name)
    {
        if (!_tags.TryGetValue(name, out var tag))
        {
            tag = new TagKey(_endpoint, name, options.Name, name);
            _tags[name] = tag;
        }
        return tag;
    }

    [LoggerMessage(EventId = 721, Level = LogLevel.Information, Message = "Poll of Modbus device {Device} failed ({Problem}); attempt {Attempt} of {Retries} retries")]
    private static partial void LogRetrying(ILogger logger, string device, int attempt, int retries, string problem);

    [LoggerMessage(EventId = 720, Level = LogLevel.Information, Message = "Polling Modbus device {Device} at {Host}:{Port}: {Requests} requests every {IntervalSeconds} s")]
    private static partial void LogPolling(ILogger logger, string device, string host, int port, int requests, double intervalSeconds);
}
