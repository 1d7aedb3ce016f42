using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace ThermalPlant.Hosting;

/// <summary>
/// Exports the suite's own <see cref="Meter"/>s (names starting <c>ThermalPlant.</c>, used by libraries that must not
/// depend on Prometheus) under their instruments' own names: a <see cref="Counter{T}"/> becomes a Prometheus counter,
/// an <see cref="UpDownCounter{T}"/> a gauge, and each measurement's tags become labels. prometheus-net's default
/// meter adapter would prefix the meter's name (<c>thermalplant_control_thermalplant_control_writes_total</c>), export
/// counters as gauges and drop idle series, so it is told to leave these meters alone. Other instrument kinds of
/// these meters are not exported. The export is process-wide, like the registry it writes to.
/// </summary>
public static class MeterExport
{
    /// <summary>Meters whose names start with this are exported here.</summary>
    public const string MeterPrefix = "ThermalPlant.";

    private static readonly Lock Gate = new();
    private static readonly ConcurrentDictionary<Instrument, Exported> Collectors = new();
    private static MeterListener? _listener;

    /// <summary>Starts the export once per process; later calls do nothing.</summary>
    public static void EnsureStarted()
    {
        lock (Gate)
        {
            if (_listener is not null) return;
            // The runtime's private diagnostics meters (e.g. Private.InternalDiagnostics.System.Net.Quic) are not for
            // users and add dozens of families; the public runtime and ASP.NET Core meters stay.
            Prometheus.Metrics.ConfigureMeterAdapter(options =>
                options.InstrumentFilterPredicate = instrument => !instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal)
                    && !instrument.Meter.Name.StartsWith("Private.", StringComparison.Ordinal));
            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal) && instrument.GetType().IsGenericType
                        && instrument.GetType().GetGenericTypeDefinition() is var kind && (kind == typeof(Counter<>) || kind == typeof(UpDownCounter<>)))
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
            listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            listener.Start();
            _listener = listener;
        }
    }

    private static void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // The label names are fixed by the first measurement; an instrument's callers always pass the same tags.
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = tags[i].Key;
            values[i] = tags[i].Value?.ToString() ?? "";
        }
        Array.Sort(names, values, StringComparer.Ordinal);
        var exported = Collectors.GetOrAdd(instrument, static (i, labels) => Exported.Create(i, labels), names);
        if (!exported.LabelNames.AsSpan().SequenceEqual(names)) return;
        exported.Add(values, value);
    }

    private sealed record Exported(string[] LabelNames, Counter? Counter, Gauge? Gauge)
    {
        public static Exported Create(Instrument instrument, string[] labelNames)
        {
            var help = instrument.Description ?? instrument.Name;
            return instrument.GetType().GetGenericTypeDefinition() == typeof(Counter<>)
                ? new Exported(labelNames, Prometheus.Metrics.CreateCounter(instrument.Name, help, labelNames), null)
                : new Exported(labelNames, null, Prometheus.Metrics.CreateGauge(instrument.Name, help, labelNames));
        }

        public void Add(string[] labelValues, double value)
        {
            if (Counter is not null) Counter.WithLabels(labelValues).Inc(value);
            else Gauge!.WithLabels(labelValues).Inc(value);
        }
    }
}
