using Microsoft.Extensions.Options;
using Npgsql;
using ThermalPlant.Hosting;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Scraper.Supervision;
using ThermalPlant.Scraper.Transport;
using ThermalPlant.Storage;

namespace ThermalPlant.Scraper;

/// <summary>Builds the scraper's host; <c>Program</c> runs it, tests start it on loopback with their own overrides.</summary>
public static class ScraperHost
{
    /// <summary>Creates the host: /health and /metrics on the side HTTP port (8125 by default), the sources and the writer in the background.</summary>
    /// <param name="args">Command line (e.g. <c>--urls</c>, <c>--Scraper:Database:ConnectionString=...</c>).</param>
    /// <param name="overrideServices">Replaces registrations after the defaults (tests: time).</param>
    public static WebApplication Create(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Both return at once when the process is not run by systemd (Type=notify) or the Windows service manager.
        builder.Host.UseSystemd();
        builder.Host.UseWindowsService(options => options.ServiceName = "ThermalPlant Scraper");
        builder.AddServiceDefaults("scraper");
        builder.Services.AddValidatedOptions<ScraperOptions>(builder.Configuration, ScraperOptions.Section);
        builder.Services.AddSingleton(sp => NpgsqlDataSource.Create(DatabaseUrl.ToConnectionString(sp.GetRequiredService<IOptions<ScraperOptions>>().Value.Database.ConnectionString)));
        builder.Services.AddSingleton<LatestValues>();
        builder.Services.AddSingleton<SampleQueue>();
        builder.Services.AddSingleton<EventQueue>();
        builder.Services.AddSingleton(sp => new StoredEvents(new Lazy<NpgsqlDataSource>(sp.GetRequiredService<NpgsqlDataSource>)));
        builder.Services.AddSingleton<RejectedSamples>();
        builder.Services.AddSingleton<StorageState>();
        builder.Services.AddSingleton<SourceHealth>();
        builder.Services.AddSingleton<ISupervisedConnections>(sp => sp.GetRequiredService<SourceHealth>());
        builder.Services.AddSingleton<Supervisor>();
        builder.Services.AddSampleTransport(builder.Configuration.GetValue(ScraperOptions.Section + ":Transport", TransportKind.Direct));
        builder.Services.AddHostedService<SourcesService>();
        builder.Services.AddHealthChecks().AddCheck<SourceHealth>("connections");
        overrideServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapServiceDefaults(detailedReadiness: true);
        return app;
    }
}
