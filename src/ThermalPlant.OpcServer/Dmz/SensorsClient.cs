using System.Text.Json.Serialization.Metadata;

namespace ThermalPlant.OpcServer.Dmz;

/// <summary>
/// Reads the sensors service through the DMZ: the catalog and all current readings, one request each. A document is
/// parsed, and the caller goes on, on the thread pool: with inline socket completions (the service's default) the
/// response's socket continuations run on the runtime's socket thread that OPC UA connections share, so they only
/// gather the body there.
/// </summary>
public sealed class SensorsClient(HttpClient http)
{
    /// <summary>The sensor catalog (<c>/sensors</c>).</summary>
    public Task<SensorCatalogDocument> GetCatalogAsync(CancellationToken cancellationToken) =>
        GetAsync("sensors", SensorsJsonContext.Default.SensorCatalogDocument, cancellationToken);

    /// <summary>Every current reading (<c>/readings</c>).</summary>
    public Task<ReadingsDocument> GetReadingsAsync(CancellationToken cancellationToken) =>
        GetAsync("readings", SensorsJsonContext.Default.ReadingsDocument, cancellationToken);

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        // The whole body is read before the call returns (HttpCompletionOption.ResponseContentRead, the default).
        using var response = await http.GetAsync(path, cancellationToken);
        response.EnsureSuccessStatusCode();
        // Off the socket thread on purpose: the parse, and what the poller then does with the document (the plant's
        // variables, their history file, alarms), must not hold up the OPC UA connections sharing that thread.
        await Task.Yield();
        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
            ?? throw new HttpRequestException($"the DMZ answered /{path} with an empty document");
    }
}
