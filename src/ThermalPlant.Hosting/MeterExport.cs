using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace ThermalPlant.Hosting;

/// <summary>
/// Exports the suite's own <see cref="Meter"/>s (names starting <c>ThermalPlant.</c>, used by libraries that must not
/// depend on Prometheus) under their instruments' own names: a <see cref="Counter{T}"/> becomes a Prometheus counter,
/// an <see cref="UpDownCounter{T}"/> a gauge, and each measurement's tags become labels. prometheus-net's default
/// meter adapter would prefix the meter's name (<c>thermalplant_control_thermalplant_control_writes_total</c>), export
/// counters as gauges and drop idle series, so it is told to leave these meters alone. Other instrument kinds of
/// these meters are not exported. The export is process-wide, like the registry it writes to.
/// A Prometheus family has one set of label names, fixed by an instrument's first measurement. A later measurement
/// with other tags still counts: under those labels, a label whose tag it lacks is empty and a tag that is no label is
/// left out; the first such measurement of each instrument is logged as a warning (through <see cref="UseLogger"/>).
/// </summary>
public static partial class MeterExport
{
    /// <summary>Meters whose names start with this are exported here.</summary>
    public const string MeterPrefix = "ThermalPlant.";

    private static readonly Lock Gate = new();
    private static readonly ConcurrentDictionary<Instrument, Exported> Collectors = new();
    private static MeterListener? _listener;
    private static ILogger? _logger;

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

    /// <summary>Where a measurement whose tags differ from its instrument's labels is reported; the host that serves <c>/metrics</c> sets it.</summary>
    public static void UseLogger(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        Volatile.Write(ref _logger, logger);
    }

    private static void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = tags[i].Key;
            values[i] = tags[i].Value?.ToString() ?? "";
        }
        Array.Sort(names, values, StringComparer.Ordinal);
        var exported = Collectors.GetOrAdd(instrument, static (i, labels) => Exported.Create(i, labels), names);
        if (exported.LabelNames.AsSpan().SequenceEqual(names))
        {
            exported.Add(values, value);
            return;
        }
        exported.Add(exported.LabelValues(names, values), value);
        if (Volatile.Read(ref _logger) is { } logger && exported.ClaimMismatchWarning())
        {
            LogTagsMismatched(logger, instrument.Name, string.Join(",", names), string.Join(",", exported.LabelNames));
        }
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Metric {Metric} was measured with tags {Tags}, not its labels {Labels}; counted under its labels, a missing label empty and other tags left out (further such measurements are not logged)")]
    private static partial void LogTagsMismatched(ILogger logger, string metric, string tags, string labels);

    private sealed record Exported(string[] LabelNames, Counter? Counter, Gauge? Gauge)
    {
        private int _mismatchWarned;

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

        /// <summary>The values of this family's labels taken from sorted tag <paramref name="names"/>; empty where a tag is missing.</summary>
        public string[] LabelValues(string[] names, string[] values)
        {
            var labelValues = new string[LabelNames.Length];
            for (var i = 0; i < LabelNames.Length; i++)
            {
                var at = Array.BinarySearch(names, LabelNames[i], StringComparer.Ordinal);
                labelValues[i] = at >= 0 ? values[at] : "";
            }
            return labelValues;
        }

        /// <summary>True once: for the first measurement whose tags differ from the labels.</summary>
        public bool ClaimMismatchWarning() => Interlocked.Exchange(ref _mismatchWarned, 1) == 0;
    }
}
