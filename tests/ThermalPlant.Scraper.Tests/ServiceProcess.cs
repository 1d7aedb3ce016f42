using System.Globalization;
using System.Text.RegularExpressions;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// A service host as its own process (<c>dotnet ThermalPlant.X.dll</c> from this test's output: the storage writer,
/// the scraper, the analytics service), on a free loopback port, run in a working directory of its own where no
/// appsettings.json applies; <see cref="DisposeAsync"/> kills it with SIGKILL, as a crash.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly ManagedProcess _process;
    private readonly TempDirectory? _directory;
    private readonly HttpClient _http;

    private ServiceProcess(ManagedProcess process, TempDirectory? directory, int port)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <summary>Everything the service logged so far.</summary>
    public string Output => _process.Output;

    /// <summary>Whether the process still runs.</summary>
    public bool Running => !_process.HasExited;

    /// <summary>
    /// Starts a storage writer storing <paramref name="site"/> into <paramref name="connectionString"/>, and waits until
    /// it has set up the stream; in <paramref name="workingDirectory"/> (whose appsettings.json it reads) if given.
    /// </summary>
    public static Task<ServiceProcess> StartWriterAsync(string natsUrl, string connectionString, string site, IDictionary<string, string>? settings = null, string? workingDirectory = null) =>
        StartAsync("ThermalPlant.StorageWriter.dll", workingDirectory, "/health/ready", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Serilog:MinimumLevel:Default"] = "Information",
            ["Writer:Nats:Url"] = natsUrl,
            ["Writer:Nats:RequestTimeout"] = "00:00:05",
            ["Writer:Stream:Replicas"] = "3",
            // Within the test nodes' max_file_store (2 GB): a stream larger than a node may hold cannot be placed.
            ["Writer:Stream:MaxBytes"] = "268435456",
            ["Writer:Consumer:AckWait"] = "00:00:05",
            ["Writer:Consumer:FetchWait"] = "00:00:01",
            ["Writer:MonitorInterval"] = "00:00:00.500",
            ["Writer:Shards:0:Name"] = "main",
            ["Writer:Shards:0:ConnectionString"] = connectionString,
            ["Writer:Shards:0:Path"] = "Plain",
            ["Writer:Shards:0:Sites:0"] = site,
            ["Writer:Shards:0:WriteTimeout"] = "00:00:05",
            ["Writer:Shards:0:RetryMinDelay"] = "00:00:00.200",
            ["Writer:Shards:0:RetryMaxDelay"] = "00:00:02",
        }, settings);

    /// <summary>
    /// Starts a scraper with <paramref name="settings"/> (keys below <c>Scraper:</c>) and its data directory
    /// <paramref name="dataDirectory"/> (kept across a kill and a new start), and waits until it answers.
    /// </summary>
    public static Task<ServiceProcess> StartScraperAsync(string dataDirectory, IDictionary<string, string> settings)
    {
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Serilog:MinimumLevel:Default"] = "Information",
            ["Scraper:Storage:DataDirectory"] = dataDirectory,
            ["Scraper:Storage:BatchDelay"] = "00:00:00.100",
        };
        foreach (var (key, value) in settings) arguments[$"Scraper:{key}"] = value;
        return StartAsync("ThermalPlant.Scraper.dll", dataDirectory, "/health/live", arguments, null);
    }

    /// <summary>Starts the analytics service reading <paramref name="site"/> from the stream, and waits until it answers.</summary>
    public static Task<ServiceProcess> StartAnalyticsAsync(string natsUrl, string site, string directory, IDictionary<string, string>? settings = null) =>
        StartAsync("ThermalPlant.Analytics.Service.dll", null, "/health/live", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Serilog:MinimumLevel:Default"] = "Information",
            ["Analytics:Source"] = "Nats",
            ["Analytics:Nats:Url"] = natsUrl,
            ["Analytics:Nats:Sites:0"] = site,
            ["Analytics:Nats:RequestTimeout"] = "00:00:05",
            ["Analytics:Nats:AckWait"] = "00:00:05",
            ["Analytics:Nats:RetryMinDelay"] = "00:00:00.200",
            ["Analytics:Nats:RetryMaxDelay"] = "00:00:02",
            ["Analytics:ListenAddress"] = "127.0.0.1",
            ["Analytics:HostName"] = "127.0.0.1",
            ["Analytics:Port"] = PeerPrograms.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Analytics:StatePath"] = Path.Combine(directory, "analytics-state.bin"),
            ["Analytics:HistoryPath"] = Path.Combine(directory, "analytics-history.bin"),
            ["Analytics:CertificateStorePath"] = Path.Combine(directory, "pki"),
        }, settings);

    /// <summary>The value of a counter or gauge in the service's /metrics, summed over the series whose labels hold <paramref name="label"/> (all when null); 0 when absent.</summary>
    public async Task<double> MetricAsync(string name, string? label = null)
    {
        var text = await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var total = 0.0;
        foreach (Match match in MetricLine().Matches(text))
        {
            if (match.Groups["name"].Value != name || (label is not null && !match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))) continue;
            total += double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>Whether <c>/health/ready</c> answers 200 (healthy or degraded).</summary>
    public async Task<bool> ReadyAsync()
    {
        using var response = await _http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        return response.IsSuccessStatusCode;
    }

    /// <summary>SIGKILL, as a crash; the data directory a scraper was given stays.</summary>
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _http.Dispose();
        _directory?.Dispose();
    }

    private static async Task<ServiceProcess> StartAsync(string dll, string? workingDirectory, string readyPath, Dictionary<string, string> arguments, IDictionary<string, string>? settings)
    {
        var port = PeerPrograms.FreePort();
        arguments["urls"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) arguments[key] = value;
        // A working directory without appsettings.json: the command line alone configures the service.
        var directory = workingDirectory is null ? new TempDirectory("thermalplant-service-") : null;
        var process = ManagedProcess.Start("dotnet", [Path.Combine(AppContext.BaseDirectory, dll), .. arguments.Select(a => $"--{a.Key}={a.Value}")], workingDirectory ?? directory!.Path);
        var service = new ServiceProcess(process, directory, port);
        try
        {
            await service.WaitAnsweringAsync(dll, readyPath);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
        return service;
    }

    private async Task WaitAnsweringAsync(string dll, string path)
    {
        var until = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{dll} exited:{Environment.NewLine}{Output}");
            try
            {
                using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"{dll} did not answer {path} within {StartTimeout.TotalSeconds} s:{Environment.NewLine}{Output}");
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(?<labels>\{[^}]*\})? (?<value>[-+0-9.eE]+|NaN)$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();
}
