using ThermalPlant.Control.Links;
using ThermalPlant.Control.Sources;
using ThermalPlant.Modbus.Client;
using ThermalPlant.PowerToGas;

namespace ThermalPlant.Bridge;

/// <summary>
/// Runs one configured control link: loads its calibration table, opens its OPC UA source and its Modbus client,
/// and runs its cycles. The link itself copes with a lost source or device cycle by cycle; anything that ends the
/// run (a table that cannot be read) ends here, and the supervisor starts it again with backoff. The link's OPC UA
/// source retries its connection with its own backoff; its state is shown as <c>NAME source</c> in
/// <c>/health/ready</c> and as <c>thermalplant_bridge_source_*</c> in <c>/metrics</c>.
/// </summary>
internal sealed class ControlLinkRunner(PemelLinkOptions options, LinkHealth health, TimeProvider time, ILoggerFactory loggers)
{
    /// <summary>The link's name in logs, health and metrics.</summary>
    public string Name => options.Name;

    /// <summary>Runs the link until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var table = await options.LoadCalibrationAsync(cancellationToken);
        await using var source = new OpcUaControlSource(options.Source, loggers.CreateLogger<OpcUaControlSource>(), time);
        source.StateChanged += (state, problem) => health.SourceChanged(Name, state, problem);
        await using var device = new ModbusTcpClient(options.Target.ToClientOptions(), time);
        var link = new ControlLink(options, table, source, device, loggers.CreateLogger<ControlLink>(), time);
        health.Running(Name);
        await link.RunAsync(cancellationToken);
    }
}
