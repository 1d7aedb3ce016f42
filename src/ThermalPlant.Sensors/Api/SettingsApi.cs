using ThermalPlant.Sensors.Settings;

namespace ThermalPlant.Sensors.Api;

/// <summary>
/// Sampling settings changed at run time (the original build's <c>*/settings</c> routes). Every change is
/// validated and applied from the next sample on. The DMZ never lets these routes through.
/// </summary>
internal static class SettingsApi
{
    public static IEndpointRouteBuilder MapSettingsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Settings");
        group.MapGet("/settings", (RuntimeSettings s) => TypedResults.Ok(new SettingsDocument(s.Temperature, s.Rpm, s.Voltage, s.Audio)));
        group.MapGet("/rpm/settings", (RuntimeSettings s) => TypedResults.Ok(s.Rpm));
        group.MapPut("/rpm/settings", (RpmSettings body, RuntimeSettings s) => Applied(s.TrySet(body), body));
        group.MapGet("/voltage/settings", (RuntimeSettings s) => TypedResults.Ok(s.Voltage));
        group.MapPut("/voltage/settings", (VoltageSettings body, RuntimeSettings s) => Applied(s.TrySet(body), body));
        group.MapGet("/audio/settings", (RuntimeSettings s) => TypedResults.Ok(s.Audio));
        group.MapPut("/audio/settings", (AudioSettings body, RuntimeSettings s) => Applied(s.TrySet(body), body));
        group.MapGet("/temperature/settings", (RuntimeSettings s) => TypedResults.Ok(s.Temperature));
        group.MapPut("/temperature/settings", (TemperatureSettings body, RuntimeSettings s) => Applied(s.TrySet(body), body));
        return app;
    }

    private static IResult Applied<T>(IReadOnlyList<string> errors, T applied) => errors.Count == 0
        ? TypedResults.Ok(applied)
        : TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { ["settings"] = [.. errors] },
            title: "Invalid settings: nothing was changed");
}
