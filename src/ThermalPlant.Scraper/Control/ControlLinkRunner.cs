using ThermalPlant.Control.Calibration;
using ThermalPlant.Control.Links;
using ThermalPlant.Control.Sources;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Scraper.Supervision;

namespace ThermalPlant.Scraper.Control;

/// <summary>
/// Runs one configured control link: loads its calibration table, opens its OPC UA source and its Modbus client,
/// and runs its cycles. The link itself copes with a lost source or device cycle by cycle; anything that ends the
/// run (a table that cannot be read) ends here, and the supervisor starts it again with backoff. The link's OPC UA
/// source retries its connection with its own backoff; its state is shown as the source <c>control NAME source</c>
/// in <c>/metrics</c> and <c>/health/ready</c>.
/// </summary>
internal sealed class ControlLinkRunner(ControlLinkOptions options, SourceHealth health, TimeProvider time, ILoggerFactory loggers)
{
    /// <summary>The link's name in logs, health and metrics.</summary>
    public string Name => $"control {options.Name}";

    /// <summary>Runs the link until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var table = await CalibrationTable.LoadAsync(options.CalibrationFile, options.MaxCurrent, options.MinCurrent, cancellationToken);
        await using var source = new OpcUaControlSource(options.Source, loggers.CreateLogger<OpcUaControlSource>(), time);
        var sourceName = $"{Name} source";
        source.StateChanged += (state, problem) =>
        {
            health.Report(sourceName, state == SourceConnectionState.Connected, problem ?? SourceStates.Connecting);
            ScraperMetrics.SetState(sourceName, state switch
            {
                SourceConnectionState.Connected => SourceStates.Connected,
                SourceConnectionState.Backoff => SourceStates.Backoff,
                _ => SourceStates.Connecting,
            });
            if (state == SourceConnectionState.Backoff) ScraperMetrics.SourceFailures.WithLabels(sourceName).Inc();
        };
        await using var device = new ModbusTcpClient(options.Target.ToClientOptions(), time);
        var link = new ControlLink(options, table, source, device, loggers.CreateLogger<ControlLink>(), time);
        health.Report(Name, true);
        ScraperMetrics.Connected.WithLabels(Name).Set(1);
        await link.RunAsync(cancellationToken);
    }
}
