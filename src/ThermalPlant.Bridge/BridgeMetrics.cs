using Prometheus;
using ThermalPlant.Control.Sources;

namespace ThermalPlant.Bridge;

/// <summary>
/// The bridge's own Prometheus metrics, per control link. The links' counters (writes, interlock blocks, lost
/// sources, read-back mismatches) are the Control library's <c>thermalplant_control_*</c>, exported by the host.
/// The names are fixed: the dashboards and alert rules select them.
/// </summary>
internal static class BridgeMetrics
{
    public static readonly Gauge LinkRunning = Metrics.CreateGauge(
        "thermalplant_bridge_link_running", "1 while a control link runs, 0 while it waits to be started again after a failure", "link");

    public static readonly Counter LinkFailures = Metrics.CreateCounter(
        "thermalplant_bridge_link_failures_total", "Failures of a control link's run (each followed by a backoff and a restart)", "link");

    public static readonly Gauge SourceConnected = Metrics.CreateGauge(
        "thermalplant_bridge_source_connected", "1 while a link's OPC UA source is connected, 0 otherwise", "link");

    public static readonly Gauge SourceState = Metrics.CreateGauge(
        "thermalplant_bridge_source_state", "1 for the state a link's OPC UA source is in (connecting, connected, backoff), 0 for the others", "link", "state");

    public static readonly Counter SourceFailures = Metrics.CreateCounter(
        "thermalplant_bridge_source_failures_total", "Failed connection attempts of a link's OPC UA source (each followed by a backoff)", "link");

    private static readonly SourceConnectionState[] States = Enum.GetValues<SourceConnectionState>();

    /// <summary>Shows every series of <paramref name="link"/> from its start, so that rates and alerts see its first change.</summary>
    public static void Register(string link)
    {
        LinkRunning.WithLabels(link).Set(0);
        LinkFailures.WithLabels(link);
        SourceFailures.WithLabels(link);
        SetSourceState(link, SourceConnectionState.Connecting);
    }

    /// <summary>Shows <paramref name="link"/>'s source in <paramref name="state"/>, and its connected gauge to match.</summary>
    public static void SetSourceState(string link, SourceConnectionState state)
    {
        foreach (var each in States) SourceState.WithLabels(link, Label(each)).Set(each == state ? 1 : 0);
        SourceConnected.WithLabels(link).Set(state == SourceConnectionState.Connected ? 1 : 0);
    }

    /// <summary>The <c>state</c> label of <paramref name="state"/>.</summary>
    public static string Label(SourceConnectionState state) => state switch
    {
        SourceConnectionState.Connected => "connected",
        SourceConnectionState.Backoff => "backoff",
        _ => "connecting",
    };
}
