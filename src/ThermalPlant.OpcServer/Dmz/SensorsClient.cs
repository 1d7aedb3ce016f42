namespace ThermalPlant.OpcServer.Dmz;

/// <summary>Reads the sensors service through the DMZ: the catalog and all current readings, one request each.</summary>
public sealed class SensorsClient(HttpClient http)
{
    /// <summary>The sensor catalog (<c>/sensors</c>).</summary>
    public async Task<SensorCatalogDocument> GetCatalogAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync("sensors", SensorsJsonContext.Default.SensorCatalogDocument, cancellationToken)
        ?? throw new HttpRequestException("the DMZ answered /sensors with an empty document");

    /// <summary>Every current reading (<c>/readings</c>).</summary>
    public async Task<ReadingsDocument> GetReadingsAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync("readings", SensorsJsonContext.Default.ReadingsDocument, cancellationToken)
        ?? throw new HttpRequestException("the DMZ answered /readings with an empty document");
}
