using System.Globalization;
using System.Text.RegularExpressions;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// The storage writer as its own process (dotnet ThermalPlant.StorageWriter.dll from this test's output), on a free
/// loopback port, run in an empty temp dir so no appsettings.json applies; disposing it kills it with SIGKILL.
/// </summary>
internal sealed partial class WriterProcess : IAsyncDisposable
{
    private readonly ManagedProcess _process;
    private readonly TempDirectory _directory;
    private readonly HttpClient _http;

    private WriterProcess(ManagedProcess process, TempDirectory directory, int port)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <summary>Everything the writer logged so far.</summary>
    public string Output => _process.Output;

    /// <summary>Whether the process still runs.</summary>
    public bool Running => !_process.HasExited;

    /// <summary>Starts a writer storing <paramref name="site"/> into <paramref name="connectionString"/>, and waits until it has set up the stream.</summary>
    public static async Task<WriterProcess> StartAsync(string natsUrl, string connectionString, string site, IDictionary<string, string>? settings = null)
    {
        var port = PeerPrograms.FreePort();
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["urls"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
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
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) arguments[key] = value;
        var directory = new TempDirectory("thermalplant-writer-");
        var dll = Path.Combine(AppContext.BaseDirectory, "ThermalPlant.StorageWriter.dll");
        var process = ManagedProcess.Start("dotnet", [dll, .. arguments.Select(a => $"--{a.Key}={a.Value}")], directory.Path);
        var writer = new WriterProcess(process, directory, port);
        await writer.WaitReadyAsync();
        return writer;
    }

    /// <summary>The value of a counter or gauge in the writer's /metrics (summed over its labels), 0 when absent.</summary>
    public async Task<double> MetricAsync(string name)
    {
        var text = await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var total = 0.0;
        foreach (Match match in MetricLine().Matches(text))
        {
            if (match.Groups["name"].Value == name) total += double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>SIGKILL, as a crash.</summary>
    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _http.Dispose();
        _directory.Dispose();
    }

    private async Task WaitReadyAsync()
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException("The writer exited:" + Environment.NewLine + Output);
            try
            {
                using var response = await _http.GetAsync(new Uri("/health/ready", UriKind.Relative));
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
        throw new InvalidOperationException("The writer did not get ready within 60 s:" + Environment.NewLine + Output);
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{[^}]*\})? (?<value>[-+0-9.eE]+|NaN)$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();
}
