using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ThermalPlant.Scraper.Delivery;

namespace ThermalPlant.Scraper.Tests;

/// <summary>A scraper host started on loopback with a test's configuration; <see cref="CrashAsync"/> ends it without a graceful stop.</summary>
internal sealed class ScraperRun : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private ScraperRun(WebApplication app) => _app = app;

    public IServiceProvider Services => _app.Services;

    public SampleQueue Queue => _app.Services.GetRequiredService<SampleQueue>();

    /// <summary>The side HTTP port's address (/metrics, /health).</summary>
    public Uri BaseAddress => new(_app.Urls.First());

    /// <summary>
    /// Starts a scraper writing to <paramref name="connectionString"/> on the schema <paramref name="path"/> (Plain or
    /// TimescaleDb); <paramref name="overrideServices"/> adds to its registrations (a configuration source a test reloads).
    /// </summary>
    public static async Task<ScraperRun> StartAsync(string connectionString, string dataDirectory, IDictionary<string, string> settings, string path = "Plain", Action<IServiceCollection>? overrideServices = null)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Scraper:Database:ConnectionString={connectionString}",
            $"--Scraper:Database:Path={path}",
            "--Scraper:Database:RetryMinDelay=00:00:00.200",
            "--Scraper:Database:RetryMaxDelay=00:00:01",
            "--Scraper:Database:WriteTimeout=00:00:05",
            $"--Scraper:Storage:DataDirectory={dataDirectory}",
            "--Scraper:Storage:BatchDelay=00:00:00.100",
            "--Serilog:MinimumLevel:Default=Warning",
        };
        args.AddRange(settings.Select(s => string.Create(CultureInfo.InvariantCulture, $"--Scraper:{s.Key}={s.Value}")));
        var app = ScraperHost.Create([.. args], overrideServices);
        await app.StartAsync();
        return new ScraperRun(app);
    }

    /// <summary>A graceful stop: what waits in memory goes to the spill file.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// A crash: the host is disposed without being stopped, so nothing is flushed; what waited in memory is lost
    /// (only the spill file and the server's history remain), as after SIGKILL.
    /// </summary>
    public async Task CrashAsync()
    {
        _stopped = true;
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped) await StopAsync();
        NpgsqlConnection.ClearAllPools();
    }
}
