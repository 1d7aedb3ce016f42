using Microsoft.Extensions.Options;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Scraper.Sources.Modbus;
using ThermalPlant.Scraper.Sources.OpcUa;
using ThermalPlant.Scraper.Transport;

namespace ThermalPlant.Scraper.Supervision;

/// <summary>
/// Starts every configured OPC UA endpoint and Modbus device, each under its own supervisor: they
/// share nothing but the sample queue (which never blocks), so one failing never stops another.
/// </summary>
internal sealed partial class SourcesService(
    IOptions<ScraperOptions> options,
    SampleQueue queue,
    EventQueue events,
    StoredEvents storedEvents,
    StorageState storage,
    IStoredTimestamps stored,
    Supervisor supervisor,
    SourceHealth health,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var config = options.Value;
        var loops = new List<Task>();
        foreach (var endpoint in config.OpcUa.Endpoints)
        {
            var source = new OpcUaEndpointSource(endpoint, queue, events, storedEvents, storage, stored, health, time, loggers.CreateLogger<OpcUaEndpointSource>());
            loops.Add(supervisor.RunAsync(source.Name, source.RunSessionAsync, endpoint.ReconnectMinDelay, endpoint.ReconnectMaxDelay, stoppingToken));
        }
        foreach (var device in config.Modbus.Devices)
        {
            var source = new ModbusDeviceSource(device, queue, health, time, loggers.CreateLogger<ModbusDeviceSource>());
            loops.Add(supervisor.RunAsync(source.Name, source.RunAsync, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), stoppingToken));
        }
        var logger = loggers.CreateLogger<SourcesService>();
        LogStarted(logger, config.OpcUa.Endpoints.Count, config.Modbus.Devices.Count);
        return Task.WhenAll(loops);
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Scraper started: {Endpoints} OPC UA endpoints, {Devices} Modbus devices, each supervised on its own")]
    private static partial void LogStarted(ILogger logger, int endpoints, int devices);
}
