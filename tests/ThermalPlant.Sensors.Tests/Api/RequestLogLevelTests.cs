using Microsoft.AspNetCore.Http;
using Serilog.Events;
using ThermalPlant.Hosting;

namespace ThermalPlant.Sensors.Tests.Api;

/// <summary>What the shared request log keeps at Information: changes and refusals, not the polls.</summary>
public sealed class RequestLogLevelTests
{
    [Theory]
    [InlineData("GET", "/readings", 200, LogEventLevel.Debug)]
    [InlineData("HEAD", "/temperature/upper", 200, LogEventLevel.Debug)]
    [InlineData("GET", "/health/ready", 200, LogEventLevel.Verbose)]
    [InlineData("GET", "/metrics", 200, LogEventLevel.Verbose)]
    [InlineData("GET", "/health/ready", 503, LogEventLevel.Error)]
    [InlineData("GET", "/nothing", 404, LogEventLevel.Information)]
    [InlineData("PUT", "/settings/sampling", 200, LogEventLevel.Information)]
    [InlineData("POST", "/simulation/faults", 400, LogEventLevel.Information)]
    [InlineData("GET", "/readings", 500, LogEventLevel.Error)]
    public void Levels_by_method_path_and_status(string method, string path, int status, LogEventLevel expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Response.StatusCode = status;
        Assert.Equal(expected, RequestLogLevel.For(context, null));
    }

    [Fact]
    public void An_exception_is_an_error_whatever_the_status()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Path = "/readings";
        Assert.Equal(LogEventLevel.Error, RequestLogLevel.For(context, new InvalidOperationException("boom")));
    }
}
