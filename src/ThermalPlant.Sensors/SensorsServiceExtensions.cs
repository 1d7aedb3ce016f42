using Microsoft.Extensions.Options;
using ThermalPlant.Hosting;
using ThermalPlant.Sensors.Api;
using ThermalPlant.Sensors.Devices;
using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Sampling;
using ThermalPlant.Sensors.Settings;
using ThermalPlant.Sensors.Simulation;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors;

/// <summary>Wiring of the sensors service: options, devices (real or simulated), samplers and routes.</summary>
internal static class SensorsServiceExtensions
{
    public static WebApplicationBuilder AddSensors(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<SensorsOptions>(builder.Configuration, SensorsOptions.Section);
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, SensorsJsonContext.Default);
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        });
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<SensorsSampledCheck>("sensors");

        services.AddSingleton(sp => new RuntimeSettings(sp.GetRequiredService<IOptions<SensorsOptions>>().Value));
        services.AddSingleton(sp => new SensorCatalog(sp.GetRequiredService<RuntimeSettings>(), sp.GetRequiredService<IOptions<SensorsOptions>>().Value.AudioFeatures.SpectrumBands));
        services.AddSingleton<ReadingStore>();
        services.AddSingleton<DeviceHealthRegistry>();
        services.AddSingleton<ReadingPublisher>();
        services.AddSingleton<ServiceClock>();
        services.AddSingleton(sp => new PlantModel(sp.GetRequiredService<IOptions<SensorsOptions>>().Value.Simulation, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(CreateDevices);

        services.AddHostedService<TemperatureSampler>();
        services.AddHostedService<RpmSampler>();
        services.AddHostedService<VoltageSampler>();
        services.AddHostedService<AudioSampler>();
        return builder;
    }

    public static WebApplication MapSensors(this WebApplication app)
    {
        // Resolved now so that uptime counts from the start, not from the first /status request.
        app.Services.GetRequiredService<ServiceClock>();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapSensorsApi();
        app.MapLegacyApi();
        app.MapSettingsApi();
        if (app.Services.GetRequiredService<IOptions<SensorsOptions>>().Value.Mode == SensorsMode.Simulated)
        {
            app.MapSimulationApi();
        }
        return app;
    }

    private static PlantDevices CreateDevices(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SensorsOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        if (options.Mode == SensorsMode.Hardware)
        {
            return HardwareDevices.Open(options.Hardware, options.AudioFeatures.SampleRate, time);
        }
        var plant = services.GetRequiredService<PlantModel>();
        return new PlantDevices(
            new SimulatedThermocouple(plant, upper: true),
            new SimulatedThermocouple(plant, upper: false),
            new SimulatedTachometer(plant),
            new SimulatedVoltmeter(plant),
            new SimulatedAudioSource(plant, time, options.AudioFeatures.SampleRate));
    }
}
