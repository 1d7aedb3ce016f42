using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ThermalPlant.Sensors.Tests.Support;

/// <summary>The real sensors service on Kestrel, on a free loopback port, for one test.</summary>
internal sealed class SensorsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SensorsServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<SensorsServer> StartAsync(IDictionary<string, string>? settings = null, Action<IServiceCollection>? overrides = null)
    {
        var args = new List<string> { "--urls=http://127.0.0.1:0", "--Serilog:MinimumLevel:Default=Warning" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--{key}={value}");
        }
        var app = SensorsHost.Create([.. args], overrides);
        await app.StartAsync();
        return new SensorsServer(app, new Uri(app.Urls.Single()));
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or 10 s pass.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"Timed out waiting for {what}");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
