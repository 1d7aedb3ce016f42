using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Sampling;
using ThermalPlant.Sensors.Settings;

namespace ThermalPlant.Sensors.Api;

/// <summary>The primary read routes: one reading per sensor, every reading, the catalog and the status.</summary>
internal static class SensorsApi
{
    public static IEndpointRouteBuilder MapSensorsApi(this IEndpointRouteBuilder app)
    {
        app.MapRead("/temperature/upper", (ReadingStore store) => ReadingResults.Latest(store, SensorIds.TemperatureUpper))
            .WithSummary("Upper furnace temperature").WithTags("Readings");
        app.MapRead("/temperature/lower", (ReadingStore store) => ReadingResults.Latest(store, SensorIds.TemperatureLower))
            .WithSummary("Lower furnace temperature").WithTags("Readings");
        app.MapRead("/temperature", (ReadingStore store) =>
                TypedResults.Ok(new TemperatureDocument(store.Get(SensorIds.TemperatureUpper)?.Reading, store.Get(SensorIds.TemperatureLower)?.Reading)))
            .WithSummary("Both furnace temperatures").WithTags("Readings");
        app.MapRead("/rpm", (ReadingStore store, HttpRequest request, IOptions<SensorsOptions> options) =>
                LegacyOrReading(store, SensorIds.Rpm, request, options.Value))
            .WithSummary("Main shaft speed; ?format=legacy answers the original build's bare number").WithTags("Readings");
        app.MapRead("/voltage", (ReadingStore store, HttpRequest request, IOptions<SensorsOptions> options) =>
                LegacyOrReading(store, SensorIds.Voltage, request, options.Value))
            .WithSummary("Main supply voltage; ?format=legacy answers the original build's bare number").WithTags("Readings");
        app.MapRead("/audio/mfcc", (ReadingStore store) => ReadingResults.Latest(store, SensorIds.Mfcc))
            .WithSummary("MFCCs of the machine sound, with their parameters").WithTags("Readings");
        app.MapRead("/audio/spectrum", (ReadingStore store) => ReadingResults.Latest(store, SensorIds.Spectrum))
            .WithSummary("Mel spectrum of the machine sound, with its parameters").WithTags("Readings");
        app.MapRead("/audio/level", (ReadingStore store) => ReadingResults.Latest(store, SensorIds.AudioLevel))
            .WithSummary("Sound level in dBFS").WithTags("Readings");
        app.MapRead("/readings", ReadingResults.All)
            .WithSummary("Every current reading in one document").WithTags("Readings");
        app.MapRead("/sensors", Catalog)
            .WithSummary("The sensor catalog (ETag; If-None-Match answers 304)").WithTags("Catalog");
        app.MapRead("/status", (IOptions<SensorsOptions> options, DeviceHealthRegistry health, ServiceClock clock) =>
                TypedResults.Ok(new StatusDocument(options.Value.Mode, clock.StartedAt, clock.Uptime.TotalSeconds, health.All())))
            .WithSummary("Mode, uptime, and each sensor's health and last error").WithTags("Status");
        return app;
    }

    private static IResult LegacyOrReading(ReadingStore store, string sensor, HttpRequest request, SensorsOptions options)
    {
        var format = request.Query["format"].ToString();
        var legacy = format switch
        {
            "legacy" => true,
            "reading" => false,
            _ => options.LegacyShapesByDefault,
        };
        return legacy ? LegacyApi.BareNumber(store, sensor) : ReadingResults.Latest(store, sensor);
    }

    private static IResult Catalog(SensorCatalog catalog, HttpRequest request)
    {
        var sensors = catalog.Current;
        var json = JsonSerializer.SerializeToUtf8Bytes(sensors, SensorsJsonContext.Default.IReadOnlyListSensorDescriptor);
        var version = Convert.ToHexStringLower(SHA256.HashData(json).AsSpan(0, 8));
        var etag = $"\"{version}\"";
        request.HttpContext.Response.Headers.ETag = etag;
        if (request.Headers.IfNoneMatch == etag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Ok(new CatalogDocument(version, sensors));
    }
}
