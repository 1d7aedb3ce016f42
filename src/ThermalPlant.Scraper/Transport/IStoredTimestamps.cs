namespace ThermalPlant.Scraper.Transport;

/// <summary>Where a back-fill starts: the newest timestamp per variable that is safely delivered (stored, or acknowledged by the stream).</summary>
internal interface IStoredTimestamps
{
    /// <summary>The newest delivered timestamp of each node id of <paramref name="endpoint"/> that has any.</summary>
    Task<IReadOnlyDictionary<string, DateTime>> LastPerNodeAsync(string endpoint, CancellationToken cancellationToken);
}
