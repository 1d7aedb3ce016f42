using ThermalPlant.Hosting;

namespace ThermalPlant.StorageWriter;

/// <summary>Builds the storage writer's host; <c>Program</c> runs it.</summary>
public static class WriterHost
{
    /// <summary>Creates the host: /health and /metrics on the side HTTP port (8128 by default), the writers in the background.</summary>
    /// <param name="args">Command line (e.g. <c>--urls</c>, <c>--Writer:Shards:0:ConnectionString=...</c>).</param>
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Host.UseSystemd();
        builder.AddServiceDefaults("writer");
        builder.Services.AddValidatedOptions<WriterOptions>(builder.Configuration, WriterOptions.Section);
        builder.Services.AddSingleton<WriterHealth>();
        builder.Services.AddHostedService<WriterService>();
        builder.Services.AddHealthChecks().AddCheck<WriterHealth>("links");
        var app = builder.Build();
        app.MapServiceDefaults(detailedReadiness: true);
        return app;
    }
}
