using ThermalPlant.PowerToGas;
using ThermalPlant.Storage.WideRows;

namespace ThermalPlant.Scraper.Delivery;

/// <summary>
/// The optional wide-row sink (section <c>Scraper:WideRow</c>): every <see cref="Interval"/> one row into
/// <see cref="Table"/> with the latest value of each column's source, as the seed bridge stored its Power-to-Gas data.
/// It is written next to <c>sensor_data</c>, never instead of it. Off while <see cref="Table"/> is empty.
/// </summary>
public sealed class WideRowOptions
{
    /// <summary>The table; empty turns the sink off.</summary>
    public string Table { get; set; } = "";

    /// <summary>The table's schema; unset takes the connection's current schema.</summary>
    public string? Schema { get; set; }

    /// <summary>The column holding each row's time.</summary>
    public string TimestampColumn { get; set; } = "timestamp";

    /// <summary>Time between rows (the seed's storage task: 10 s).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Create the table (timestamp primary key, double precision columns) when it does not exist; otherwise it must exist.</summary>
    public bool CreateTable { get; set; }

    /// <summary>A value older than this when a row is taken is stored as NULL; unset keeps the latest value however old.</summary>
    public TimeSpan? MaxValueAge { get; set; }

    /// <summary>Rows held while the database is away; beyond this the oldest are dropped (sensor_data keeps every value regardless).</summary>
    public int MaxPendingRows { get; set; } = 8640;

    /// <summary>A Modbus device polled with the PEMEL map: its 16 status flags and 14 process values follow <see cref="Columns"/>, named as in the map.</summary>
    public string? PemelDevice { get; set; }

    /// <summary>The value columns, in table order before the PEMEL ones.</summary>
    public IList<WideRowColumnOptions> Columns { get; set; } = [];

    /// <summary>Whether the sink runs.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Table);

    /// <summary><see cref="Columns"/> followed by the PEMEL device's columns when <see cref="PemelDevice"/> is set.</summary>
    public IReadOnlyList<WideRowColumnOptions> EffectiveColumns()
    {
        var columns = new List<WideRowColumnOptions>(Columns);
        if (string.IsNullOrWhiteSpace(PemelDevice)) return columns;
        foreach (var flag in PemelRegisterMap.StatusFlags) columns.Add(new WideRowColumnOptions { Name = flag, Sensor = PemelDevice, Tag = $"status.{flag}" });
        foreach (var (name, _) in PemelRegisterMap.ProcessValues) columns.Add(new WideRowColumnOptions { Name = name, Sensor = PemelDevice, Tag = name });
        return columns;
    }

    /// <summary>The table as the storage library writes it.</summary>
    public WideRowTableDefinition ToDefinition()
    {
        var columns = EffectiveColumns();
        var names = new string[columns.Count];
        for (var i = 0; i < names.Length; i++) names[i] = columns[i].Name;
        return new WideRowTableDefinition(string.IsNullOrWhiteSpace(Schema) ? null : Schema, Table, TimestampColumn, names);
    }

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (!Enabled) return;
        foreach (var error in ToDefinition().Validate(prefix)) errors.Add(error);
        if (Interval < TimeSpan.FromMilliseconds(100) || Interval > TimeSpan.FromHours(1)) errors.Add($"{prefix}:Interval must be between 100 ms and 1 hour");
        if (MaxValueAge is { } age && age <= TimeSpan.Zero) errors.Add($"{prefix}:MaxValueAge must be positive when set");
        if (MaxPendingRows is < 1 or > 1_000_000) errors.Add($"{prefix}:MaxPendingRows must be between 1 and 1000000");
        for (var i = 0; i < Columns.Count; i++) Columns[i].Validate($"{prefix}:Columns:{i}", errors);
    }
}
