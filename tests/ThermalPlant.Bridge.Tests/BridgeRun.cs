using System.Globalization;
using Microsoft.AspNetCore.Builder;

namespace ThermalPlant.Bridge.Tests;

/// <summary>A bridge host started on loopback with a test's configuration (keys under <c>Bridge:</c>).</summary>
internal sealed class BridgeRun : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BridgeRun(WebApplication app)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>A client of the bridge's HTTP port (/metrics, /health).</summary>
    public HttpClient Http { get; }

    public static async Task<BridgeRun> StartAsync(IDictionary<string, string> settings)
    {
        var args = new List<string> { "--urls=http://127.0.0.1:0", "--Serilog:MinimumLevel:Default=Warning" };
        args.AddRange(settings.Select(s => string.Create(CultureInfo.InvariantCulture, $"--Bridge:{s.Key}={s.Value}")));
        var app = BridgeHost.Create([.. args]);
        await app.StartAsync();
        return new BridgeRun(app);
    }

    /// <summary>Polls until <paramref name="done"/> holds, failing with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> done, TimeSpan timeout, Func<Task<string>> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await done()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"not within {timeout}: {await what()}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
