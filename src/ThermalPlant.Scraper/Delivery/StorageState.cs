namespace ThermalPlant.Scraper.Delivery;

/// <summary>Lets the sources wait until the schema exists before they look up what is stored.</summary>
internal sealed class StorageState
{
    private readonly TaskCompletionSource _migrated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the schema is migrated.</summary>
    public Task Migrated => _migrated.Task;

    /// <summary>Marks the schema as migrated.</summary>
    public void SetMigrated() => _migrated.TrySetResult();
}
