using System.Net;
using Microsoft.Extensions.Options;
using Prometheus;
using ThermalPlant.Modbus.Server;

namespace ThermalPlant.Electrolyzer.Simulation;

/// <summary>
/// Runs the simulated plant: the electrolyzer's Modbus server and model steps, and the methanation unit's OPC UA
/// server. Both servers stop with the host, so a stopped service leaves no port open.
/// </summary>
internal sealed partial class ElectrolyzerService(
    PemelSimulator simulator,
    IOptions<ElectrolyzerOptions> options,
    IOptions<MethanationOptions> methanationOptions,
    TimeProvider time,
    ILogger<ElectrolyzerService> logger) : BackgroundService
{
    private static readonly Gauge CurrentGauge = Metrics.CreateGauge("thermalplant_electrolyzer_current_amperes", "Simulated stack current");
    private static readonly Gauge FlowGauge = Metrics.CreateGauge("thermalplant_electrolyzer_h2_flow_nl_per_min", "Simulated hydrogen flow");
    private static readonly Gauge CoolerGauge = Metrics.CreateGauge("thermalplant_electrolyzer_cooler_temperature_celsius", "Simulated H2 cooler temperature");
    private static readonly Gauge RequestGauge = Metrics.CreateGauge("thermalplant_methanation_h2_request_nl_per_min", "Hydrogen flow the simulated methanation unit requests");

    // A flood of refused connections must not become a flood of log lines: one per reason in this time.
    private static readonly TimeSpan DropLogWindow = TimeSpan.FromSeconds(10);

    private static readonly Counter DroppedCounter = Metrics.CreateCounter("thermalplant_electrolyzer_modbus_connections_dropped_total",
        "Modbus connections the simulator refused or closed: PerAddressLimit, ServerFull, Evicted (idle longest when full), IdleTimeout", "reason");

    /// <summary>The methanation unit, once started (null when disabled).</summary>
    public MethanationUnit? Methanation { get; private set; }

    /// <summary>The Modbus server, once started.</summary>
    public ModbusTcpServer? Modbus { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        await using var modbus = new ModbusTcpServer(simulator.Store, settings.ModbusServer(IPAddress.Parse(settings.ModbusAddress)), time);
        var dropLog = new LogThrottle<ModbusDropReason>(DropLogWindow, time);
        modbus.ConnectionDropped += dropped =>
        {
            var reason = dropped.Reason.ToString();
            DroppedCounter.WithLabels(reason).Inc();
            if (dropLog.ShouldLog(dropped.Reason, out var notLogged))
            {
                LogModbusDropped(logger, dropped.Peer.ToString(), reason, notLogged, DropLogWindow.TotalSeconds);
            }
        };
        modbus.Start();
        Modbus = modbus;
        LogModbusListening(logger, settings.ModbusAddress, modbus.Port, settings.BaseAddress);

        await using var methanation = methanationOptions.Value.Enabled ? new MethanationUnit(methanationOptions.Value, time) : null;
        if (methanation is not null)
        {
            methanation.AccessDenied += denied => LogAccessDenied(logger, denied.Service, denied.UserName, denied.Role, denied.Status.ToString(), denied.Reason, denied.NodeList);
            methanation.Start();
            Methanation = methanation;
            LogMethanationListening(logger, methanation.EndpointUrl, MethanationUnit.RequestNodeId);
        }

        using var timer = new PeriodicTimer(settings.StepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var wasReached = simulator.CoolingReached;
                simulator.Update();
                if (simulator.CoolingReached != wasReached) LogCooling(logger, simulator.CoolingReached, simulator.CoolerTemperature);
                CurrentGauge.Set(simulator.Current);
                FlowGauge.Set(simulator.H2Flow);
                CoolerGauge.Set(simulator.CoolerTemperature);
                if (methanation?.Request is { } request) RequestGauge.Set(request);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogStopping(logger);
        }
        finally
        {
            Modbus = null;
            Methanation = null;
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Simulated electrolyzer (PEMEL map, base offset {BaseAddress}) listens for Modbus TCP on {Address}:{Port}")]
    private static partial void LogModbusListening(ILogger logger, string address, int port, int baseAddress);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Simulated methanation unit serves {Endpoint}, requested H2 flow at {Node}")]
    private static partial void LogMethanationListening(ILogger logger, string endpoint, string node);

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "H2 cooling temperature reached (status bit 10): {Reached} at {Temperature:F1} degC")]
    private static partial void LogCooling(ILogger logger, bool reached, double temperature);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Methanation unit refused {Service} for user {UserName} (role {Role}): {Status}, {Reason} [{Nodes}]")]
    private static partial void LogAccessDenied(ILogger logger, string service, string? userName, string? role, string status, string reason, string nodes);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Modbus connection from {Peer} closed by the server: {Reason}, and {NotLogged} more for that reason since the last such line (one line per reason every {WindowSeconds} s; every one is counted in thermalplant_electrolyzer_modbus_connections_dropped_total); the other connections go on (limits: Electrolyzer:ModbusMaxConnections, ModbusMaxConnectionsPerAddress, ModbusIdleTimeout)")]
    private static partial void LogModbusDropped(ILogger logger, string peer, string reason, int notLogged, double windowSeconds);

    [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "Simulated plant stopping; Modbus and OPC UA ports close")]
    private static partial void LogStopping(ILogger logger);
}
