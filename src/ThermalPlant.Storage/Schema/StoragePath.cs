namespace ThermalPlant.Storage.Schema;

/// <summary>Which of the two schema paths a database runs: everything above the schema module is the same on both.</summary>
public enum StoragePath
{
    /// <summary>Plain PostgreSQL: daily partitions, rollup tables kept by <see cref="Maintenance.RollupMaintainer"/>, a SQL <c>time_bucket</c>.</summary>
    Plain,

    /// <summary>TimescaleDB: a hypertable, continuous aggregates, retention and compression policies.</summary>
    TimescaleDb,
}

/// <summary>Which path a migrator chooses for a database that has none yet.</summary>
public enum StoragePathPreference
{
    /// <summary>TimescaleDB when the extension is installed or can be created (available and preloaded), else plain.</summary>
    Auto,

    /// <summary>Plain PostgreSQL even when TimescaleDB is available.</summary>
    Plain,

    /// <summary>TimescaleDB, failing when the extension cannot be created.</summary>
    TimescaleDb,
}
