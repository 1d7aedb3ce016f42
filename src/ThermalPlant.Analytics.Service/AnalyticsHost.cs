using System.Net;
using Microsoft.Extensions.Options;
using ThermalPlant.Analytics.Scalar;
using ThermalPlant.Analytics.Service.Engine;
using ThermalPlant.Analytics.Service.Server;
using ThermalPlant.Analytics.Service.Sources;
using ThermalPlant.Hosting;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.History;

namespace ThermalPlant.Analytics.Service;

/// <summary>Builds the analytics service; <c>Program</c> runs it, tests start it on loopback with their own settings.</summary>
public static class AnalyticsHost
{
    /// <summary>Creates the host: the results' OPC UA endpoint on its TCP port, /health and /metrics on the side HTTP port (8126 by default).</summary>
    /// <param name="args">Command line (e.g. <c>--urls</c>, <c>--Analytics:Sources:0:Url=...</c>).</param>
    /// <param name="overrideServices">Replaces registrations after the defaults (tests: time).</param>
    public static WebApplication Create(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults("analytics");
        var services = builder.Services;
        services.AddValidatedOptions<AnalyticsOptions>(builder.Configuration, AnalyticsOptions.Section);
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
            return new ServedHistory(string.IsNullOrWhiteSpace(settings.HistoryPath)
                ? null
                : new FileHistoryStore(settings.HistoryPath, settings.HistoryCapacity, settings.HistoryRetention, sp.GetRequiredService<TimeProvider>()));
        });
        services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
            var serverOptions = settings.ApplySecurity(new OpcUaServerOptions
            {
                Address = IPAddress.Parse(settings.ListenAddress),
                Port = settings.Port,
                EndpointPath = settings.EndpointPath,
                ApplicationUri = AnalyticsOptions.ApplicationUri,
                ApplicationName = "Thermal Plant Analytics",
                MinPublishingInterval = settings.MinPublishingInterval,
            });
            if (!string.IsNullOrWhiteSpace(settings.HostName)) serverOptions = serverOptions with { HostName = settings.HostName };
            var file = sp.GetRequiredService<ServedHistory>().File;
            IHistoryStore history = file is null ? new MemoryHistoryStore(settings.HistoryCapacity, settings.HistoryRetention) : file;
            return new OpcUaServer(serverOptions, sp.GetRequiredService<TimeProvider>(), history);
        });
        services.AddSingleton(sp =>
        {
            var server = sp.GetRequiredService<OpcUaServer>();
            return new AnalyticsNodes(server.AddressSpace, server.AddressSpace.RegisterNamespace(sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value.NamespaceUri));
        });
        services.AddSingleton<Func<IScalarDetector>>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<AnalyticsOptions>>().Value;
            return () => ScalarDetectors.Create(settings.DetectorName, settings.Detector);
        });
        services.AddSingleton(sp => new DiagnosisAlarms(sp.GetRequiredService<OpcUaServer>(), sp.GetRequiredService<AnalyticsNodes>().Namespace));
        services.AddSingleton<AnalyticsEngine>();
        services.AddSingleton<EndpointHealth>();
        services.AddHostedService<AnalyticsService>();
        services.AddHealthChecks().AddCheck<EndpointHealth>("endpoints");
        overrideServices?.Invoke(services);

        var app = builder.Build();
        app.MapServiceDefaults();
        return app;
    }
}
