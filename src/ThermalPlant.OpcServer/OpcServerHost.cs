using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using ThermalPlant.Hosting;
using ThermalPlant.OpcServer.Dmz;
using ThermalPlant.OpcServer.History;
using ThermalPlant.OpcServer.Plant;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.History;

namespace ThermalPlant.OpcServer;

/// <summary>Builds the OPC UA server service; <c>Program</c> runs it, tests start it on loopback with their own settings.</summary>
public static class OpcServerHost
{
    /// <summary>Creates the host: OPC UA on its TCP port, /health and /metrics on the side HTTP port.</summary>
    /// <param name="args">Command line (e.g. <c>--urls</c>, <c>--OpcServer:DmzUrl=...</c>).</param>
    /// <param name="overrideServices">Replaces registrations after the defaults (tests: time).</param>
    public static WebApplication Create(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults("opcserver");
        var services = builder.Services;
        services.AddValidatedOptions<OpcServerOptions>(builder.Configuration, OpcServerOptions.Section);

        services.AddHttpClient<SensorsClient>((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<OpcServerOptions>>().Value.DmzUrl)
            .AddResilienceHandler("dmz", (pipeline, context) =>
            {
                var settings = context.ServiceProvider.GetRequiredService<IOptions<OpcServerOptions>>().Value;
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(25),
                });
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.9,
                    MinimumThroughput = 10,
                    SamplingDuration = TimeSpan.FromSeconds(10),
                    BreakDuration = TimeSpan.FromSeconds(2),
                    OnOpened = _ => { OpcServerMetrics.CircuitState.Set(1); return ValueTask.CompletedTask; },
                    OnHalfOpened = _ => { OpcServerMetrics.CircuitState.Set(2); return ValueTask.CompletedTask; },
                    OnClosed = _ => { OpcServerMetrics.CircuitState.Set(0); return ValueTask.CompletedTask; },
                });
                pipeline.AddTimeout(settings.HttpAttemptTimeout);
            });

        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<OpcServerOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            return new HistoryFile(
                string.IsNullOrWhiteSpace(settings.HistoryPath) ? null : new FileHistoryStore(settings.HistoryPath, settings.HistoryCapacity, settings.HistoryRetention, time),
                string.IsNullOrWhiteSpace(settings.EventHistoryPath) ? null : new FileEventHistoryStore(settings.EventHistoryPath, settings.EventHistoryCapacity, settings.EventHistoryRetention, time));
        });
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<OpcServerOptions>>().Value;
            var serverOptions = settings.ApplySecurity(settings.Limits.Apply(new OpcUaServerOptions
            {
                Address = IPAddress.Parse(settings.ListenAddress),
                Port = settings.Port,
                EndpointPath = settings.EndpointPath,
                ApplicationUri = "urn:thermalplant:opcserver",
                ApplicationName = "Thermal Plant OPC UA Server",
                MinPublishingInterval = settings.MinPublishingInterval,
            }));
            if (!string.IsNullOrWhiteSpace(settings.HostName)) serverOptions = serverOptions with { HostName = settings.HostName };
            var files = sp.GetRequiredService<HistoryFile>();
            IHistoryStore history = files.Store is { } file ? file : new MemoryHistoryStore(settings.HistoryCapacity, settings.HistoryRetention);
            IEventHistoryStore events = files.Events is { } eventFile ? eventFile : new MemoryEventHistoryStore(settings.EventHistoryCapacity, settings.EventHistoryRetention);
            return new OpcUaServer(serverOptions, sp.GetRequiredService<TimeProvider>(), history, events);
        });
        services.AddSingleton(sp => new PlantAlarms(sp.GetRequiredService<OpcUaServer>(), sp.GetRequiredService<IOptions<OpcServerOptions>>().Value.Alarms, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<OpcServerOptions>>().Value;
            var server = sp.GetRequiredService<OpcUaServer>();
            return new PlantNodes(server.AddressSpace, server.AddressSpace.RegisterNamespace(settings.NamespaceUri), sp.GetRequiredService<TimeProvider>(), settings.PollInterval, sp.GetRequiredService<PlantAlarms>());
        });
        services.AddSingleton<PlantPoller>();
        services.AddHostedService<OpcUaServerService>();
        services.AddHostedService(sp => sp.GetRequiredService<PlantPoller>());
        services.AddHealthChecks().AddCheck<CatalogHealthCheck>("catalog");
        overrideServices?.Invoke(services);

        var app = builder.Build();
        app.MapServiceDefaults();
        return app;
    }

    /// <summary>Ready once the catalog was read and the tree exists.</summary>
    private sealed class CatalogHealthCheck(PlantPoller poller) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(poller.CatalogLoaded ? HealthCheckResult.Healthy("the plant tree is built") : HealthCheckResult.Unhealthy("the sensor catalog has not been read through the DMZ yet"));
    }
}
