using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Prometheus;
using Serilog;
using Serilog.Formatting.Compact;

namespace ThermalPlant.Hosting;

/// <summary>
/// What every ThermalPlant service shares: structured logs, Prometheus metrics, health endpoints and
/// problem-details errors. Each host calls <see cref="AddServiceDefaults"/> and <see cref="MapServiceDefaults"/>.
/// </summary>
public static class ServiceDefaults
{
    /// <summary>The health-check tag of checks that say the process is alive (as opposed to ready).</summary>
    public const string LiveTag = "live";

    /// <summary>
    /// Adds Serilog (console; compact JSON when <c>Logging:Json</c> is true; through a <see cref="LogBuffer"/>, so that no
    /// thread that logs waits for the console), health checks and problem details, and starts the export of the suite's
    /// own meters to <c>/metrics</c> (<see cref="MeterExport"/>).
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var buffer = new LogBuffer(TimeProvider.System, TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(buffer);
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext()
                .Enrich.WithProperty("Service", serviceName)
                .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning);
            if (builder.Configuration.GetValue("Logging:Json", false))
            {
                buffer.WriteTo(logger.WriteTo, console => console.Console(new RenderedCompactJsonFormatter()));
            }
            else
            {
                buffer.WriteTo(logger.WriteTo, console => console.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}"));
            }
        });
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(TimeProvider.System);
        MeterExport.EnsureStarted();
        return builder;
    }

    /// <summary>
    /// Maps <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>, logs every request, and turns
    /// unhandled errors and bare status codes (404, 405) into problem details. With <paramref name="detailedReadiness"/>
    /// a <c>/health/ready</c> that is not Healthy says why under its status, one line per problem with its data (for a
    /// port that is not served through the DMZ: the details may name internal hosts).
    /// </summary>
    public static WebApplication MapServiceDefaults(this WebApplication app, bool detailedReadiness = false)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSerilogRequestLogging(options => options.GetLevel = (context, _, exception) => RequestLogLevel.For(context, exception));
        app.UseHttpMetrics(options => options.ReduceStatusCodeCardinality());
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/health/ready", detailedReadiness ? new HealthCheckOptions { ResponseWriter = WriteDetailsAsync } : new HealthCheckOptions());
        app.MapMetrics("/metrics");
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        MeterExport.UseLogger(loggers.CreateLogger(typeof(MeterExport)));
        app.Services.GetRequiredService<LogBuffer>().UseLogger(loggers.CreateLogger<LogBuffer>());
        return app;
    }

    private static Task WriteDetailsAsync(HttpContext context, HealthReport report)
    {
        var text = new StringBuilder(report.Status.ToString());
        foreach (var (name, entry) in report.Entries)
        {
            if (entry.Status == HealthStatus.Healthy) continue;
            text.Append(CultureInfo.InvariantCulture, $"\n{name}: {entry.Status}: {entry.Description}");
            foreach (var (key, value) in entry.Data) text.Append(CultureInfo.InvariantCulture, $"\n  {key}: {value}");
        }
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }
}
