using System.Globalization;
using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Sampling;

namespace ThermalPlant.Sensors.Api;

/// <summary>
/// The routes of the original published build, in its shapes, so its users can switch without rewiring:
/// bare numbers, <c>mfcc_N</c> and <c>spectrum_N_mel_band</c> dictionaries, <c>/ping</c> and <c>/health/&lt;check&gt;</c>.
/// </summary>
internal static class LegacyApi
{
    private static readonly Dictionary<string, string[]> HealthChecks = new(StringComparer.Ordinal)
    {
        ["temperature"] = [SensorIds.TemperatureUpper, SensorIds.TemperatureLower],
        ["temperature_upper"] = [SensorIds.TemperatureUpper],
        ["temperature_lower"] = [SensorIds.TemperatureLower],
        ["rpm"] = [SensorIds.Rpm],
        ["voltage"] = [SensorIds.Voltage],
        ["audio"] = [SensorIds.Mfcc, SensorIds.Spectrum],
    };

    public static IEndpointRouteBuilder MapLegacyApi(this IEndpointRouteBuilder app)
    {
        app.MapRead("/ping", () => TypedResults.Ok("pong")).WithTags("Legacy");
        app.MapRead("/temperature_upper", (ReadingStore store) => BareNumber(store, SensorIds.TemperatureUpper)).WithTags("Legacy");
        app.MapRead("/temperature_lower", (ReadingStore store) => BareNumber(store, SensorIds.TemperatureLower)).WithTags("Legacy");
        app.MapRead("/mfcc", (ReadingStore store) => Named(store, SensorIds.Mfcc, MfccName)).WithTags("Legacy");
        app.MapRead("/spectrum", (ReadingStore store) => Named(store, SensorIds.Spectrum, SpectrumName)).WithTags("Legacy");
        app.MapRead("/audio", (ReadingStore store) =>
        {
            var mfcc = ToDictionary(store.Get(SensorIds.Mfcc)?.Reading, MfccName);
            var spectrum = ToDictionary(store.Get(SensorIds.Spectrum)?.Reading, SpectrumName);
            return TypedResults.Ok(new LegacyAudioDocument(mfcc, spectrum, mfcc is not null && spectrum is not null ? "ok" : "error"));
        }).WithTags("Legacy");
        app.MapRead("/health/{check}", (string check, DeviceHealthRegistry health) => Health(check, health)).WithTags("Legacy");
        return app;
    }

    /// <summary>The reading's value as a bare JSON number; 503 problem details when it is bad or not sampled yet.</summary>
    public static IResult BareNumber(ReadingStore store, string sensor)
    {
        var reading = store.Get(sensor)?.Reading;
        if (reading is null) return ReadingResults.NotYetSampled(sensor);
        return reading is { Quality: not SensorQuality.Bad, Value: { } value }
            ? TypedResults.Ok(value)
            : Unavailable(sensor, reading.Fault);
    }

    private static IResult Named(ReadingStore store, string sensor, Func<int, string> name)
    {
        var reading = store.Get(sensor)?.Reading;
        if (reading is null) return ReadingResults.NotYetSampled(sensor);
        return ToDictionary(reading, name) is { } values ? TypedResults.Ok(values) : Unavailable(sensor, reading.Fault);
    }

    private static Dictionary<string, double>? ToDictionary(Reading? reading, Func<int, string> name)
    {
        if (reading is not { Quality: not SensorQuality.Bad, Values: { } values }) return null;
        var result = new Dictionary<string, double>(values.Count, StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++)
        {
            result[name(i)] = values[i];
        }
        return result;
    }

    private static string MfccName(int index) => string.Create(CultureInfo.InvariantCulture, $"mfcc_{index}");

    private static string SpectrumName(int index) => string.Create(CultureInfo.InvariantCulture, $"spectrum_{index}_mel_band");

    private static IResult Unavailable(string sensor, string? fault) => Results.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Sensor reading is bad",
        detail: $"Sensor '{sensor}' cannot be read ({fault ?? "unknown"}); see /status.",
        type: "https://thermalplant.dev/problems/bad-reading");

    private static IResult Health(string check, DeviceHealthRegistry registry)
    {
        if (!HealthChecks.TryGetValue(check, out var sensors))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown health check",
                detail: $"Known checks: live, ready, {string.Join(", ", HealthChecks.Keys)}.");
        }
        foreach (var sensor in sensors)
        {
            var health = registry.Get(sensor);
            if (health is not { Healthy: true })
            {
                return TypedResults.Json(new LegacyHealth("unhealthy", sensor, health?.LastFault, health?.LastSuccess),
                    SensorsJsonContext.Default.LegacyHealth, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }
        var first = registry.Get(sensors[0])!;
        return TypedResults.Ok(new LegacyHealth("healthy", check, null, first.LastSuccess));
    }
}
