using ThermalPlant.Hosting;
using ThermalPlant.Hosting.Supervision;

namespace ThermalPlant.Bridge;

/// <summary>Builds the control bridge's host; <c>Program</c> runs it, tests start it on loopback with their own overrides.</summary>
public static class BridgeHost
{
    /// <summary>Creates the host: /health and /metrics on the HTTP port (8132 by default), the control links in the background.</summary>
    /// <param name="args">Command line (e.g. <c>--urls</c>, <c>--Bridge:Links:0:Name=pemel</c>).</param>
    /// <param name="overrideServices">Replaces registrations after the defaults (tests: time).</param>
    public static WebApplication Create(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Both return at once when the process is not run by systemd (Type=notify) or the Windows service manager.
        builder.Host.UseSystemd();
        builder.Host.UseWindowsService(options => options.ServiceName = "ThermalPlant Bridge");
        builder.AddServiceDefaults("bridge");
        builder.Services.AddValidatedOptions<BridgeOptions>(builder.Configuration, BridgeOptions.Section);
        builder.Services.AddSingleton<LinkHealth>();
        builder.Services.AddSingleton<ISupervisedConnections>(sp => sp.GetRequiredService<LinkHealth>());
        builder.Services.AddSingleton<Supervisor>();
        builder.Services.AddHostedService<LinksService>();
        builder.Services.AddHealthChecks().AddCheck<LinkHealth>("links");
        overrideServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapServiceDefaults(detailedReadiness: true);
        return app;
    }
}
