using Microsoft.AspNetCore.Http;
using Serilog.Events;

namespace ThermalPlant.Hosting;

/// <summary>The level each service logs a finished HTTP request at.</summary>
public static class RequestLogLevel
{
    /// <summary>
    /// Failures at Error; health and metrics probes at Verbose; successful reads at Debug; changes (POST, PUT, DELETE)
    /// and refused requests at Information. Probes come every second from Docker and Prometheus and readings up to ten
    /// times a second from the OPC UA server: logged at Information they would drown what matters, and /metrics
    /// counts them anyway.
    /// </summary>
    /// <param name="context">The finished request.</param>
    /// <param name="exception">The exception that ended it, if any.</param>
    public static LogEventLevel For(HttpContext context, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (exception is not null || context.Response.StatusCode >= 500) return LogEventLevel.Error;
        if (IsProbe(context.Request.Path)) return LogEventLevel.Verbose;
        var read = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        return read && context.Response.StatusCode < 400 ? LogEventLevel.Debug : LogEventLevel.Information;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.Ordinal) || path.StartsWithSegments("/metrics", StringComparison.Ordinal);
}
