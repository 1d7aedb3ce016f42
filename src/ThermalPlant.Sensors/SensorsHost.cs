using ThermalPlant.Hosting;

namespace ThermalPlant.Sensors;

/// <summary>Builds the sensors service; <c>Program</c> runs it, tests start it on loopback with their own overrides.</summary>
internal static class SensorsHost
{
    /// <param name="args">Command line (e.g. <c>--urls</c>, <c>--Sensors:Mode=Hardware</c>).</param>
    /// <param name="overrideServices">Replaces registrations after the defaults (tests: time, devices).</param>
    public static WebApplication Create(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults("sensors");
        builder.AddSensors();
        overrideServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapSensors();
        return app;
    }
}
