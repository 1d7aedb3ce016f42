using Microsoft.Extensions.Options;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.Hosting;
using ThermalPlant.Modbus.Server;
using ThermalPlant.PowerToGas.Calibration;

namespace ThermalPlant.Electrolyzer;

/// <summary>Builds the simulated plant's host; <c>Program</c> runs it, tests start it on loopback with their own overrides.</summary>
public static class ElectrolyzerHost
{
    /// <summary>Creates the host: /health and /metrics on the HTTP port, the simulated devices on their own ports.</summary>
    /// <param name="args">Command line (e.g. <c>--urls</c>, <c>--Electrolyzer:ModbusPort=5020</c>).</param>
    /// <param name="overrideServices">Replaces registrations after the defaults (tests: time).</param>
    public static WebApplication Create(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults("electrolyzer");
        builder.Services.AddValidatedOptions<ElectrolyzerOptions>(builder.Configuration, ElectrolyzerOptions.Section);
        builder.Services.AddValidatedOptions<MethanationOptions>(builder.Configuration, MethanationOptions.Section);
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ElectrolyzerOptions>>().Value;
            var table = CalibrationTable.Load(options.CalibrationPath, options.MaxCurrent, options.MinCurrent);
            return new PemelSimulator(options, table, new ModbusDataStore(), sp.GetRequiredService<TimeProvider>());
        });
        builder.Services.AddSingleton<ElectrolyzerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ElectrolyzerService>());
        builder.Services.AddHealthChecks().AddCheck<SimulationHealthCheck>("simulation");
        overrideServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapServiceDefaults();
        return app;
    }
}
