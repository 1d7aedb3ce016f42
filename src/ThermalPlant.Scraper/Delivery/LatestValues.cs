using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The newest value of each wide-row column, taken from the samples every source queues (so the wide row holds
/// exactly what <c>sensor_data</c> holds). Each tag is matched to its column once and remembered, so a sample costs
/// one dictionary lookup; with no wide-row sink configured nothing is looked at.
/// </summary>
internal sealed class LatestValues
{
    private const uint SeverityBad = 0x80000000;

    private readonly Lock _lock = new();
    private readonly WideRowColumnOptions[] _columns;
    private readonly Latest[] _latest;
    private readonly Dictionary<TagKey, int> _slots = [];

    public LatestValues(IOptions<ScraperOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var wide = options.Value.WideRow;
        _columns = wide.Enabled ? [.. wide.EffectiveColumns()] : [];
        _latest = new Latest[_columns.Length];
    }

    /// <summary>The number of columns filled.</summary>
    public int Count => _columns.Length;

    /// <summary>Takes the newest value of every column among <paramref name="samples"/>; an older one (a back-fill) does not replace a newer.</summary>
    public void Observe(IReadOnlyCollection<Sample> samples)
    {
        if (_columns.Length == 0) return;
        lock (_lock)
        {
            if (samples is List<Sample> list)
            {
                foreach (ref readonly var sample in CollectionsMarshal.AsSpan(list)) Take(sample);
            }
            else
            {
                foreach (var sample in samples) Take(sample);
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="values"/> with each column's value at <paramref name="now"/>: null where none arrived yet,
    /// the newest is Bad or not a number (a Modbus poll that failed), or it is older than <paramref name="maxAge"/>.
    /// </summary>
    public void Snapshot(DateTime now, TimeSpan? maxAge, double?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        lock (_lock)
        {
            for (var i = 0; i < _latest.Length; i++)
            {
                ref readonly var latest = ref _latest[i];
                var usable = latest.Seen && (latest.Status & SeverityBad) == 0 && double.IsFinite(latest.Value)
                    && (maxAge is not { } age || now - latest.Timestamp <= age);
                values[i] = usable ? latest.Value : null;
            }
        }
    }

    private void Take(in Sample sample)
    {
        if (!_slots.TryGetValue(sample.Tag, out var slot))
        {
            slot = ColumnOf(sample.Tag);
            _slots[sample.Tag] = slot;
        }
        if (slot < 0) return;
        ref var latest = ref _latest[slot];
        if (latest.Seen && sample.Timestamp < latest.Timestamp) return;
        latest = new Latest(true, sample.Value, sample.StatusCode, sample.Timestamp);
    }

    private int ColumnOf(TagKey tag)
    {
        for (var i = 0; i < _columns.Length; i++)
        {
            if (_columns[i].Matches(tag)) return i;
        }
        return -1;
    }

    private readonly record struct Latest(bool Seen, double Value, uint Status, DateTime Timestamp);
}
