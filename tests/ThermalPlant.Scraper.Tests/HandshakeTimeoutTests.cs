using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// An OPC UA endpoint that accepts TCP and never answers (issue 13, item 4): the scraper gives each attempt the
/// handshake deadline, retries with backoff, shows the endpoint in /metrics and /health/ready with its last error,
/// and connects once a real server listens on that port.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HandshakeTimeoutTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_silent_endpoint_is_retried_and_shown_until_a_server_answers_on_its_port()
    {
        Assert.NotNull(postgres.Server);
        var database = await postgres.Server.CreateDatabaseAsync();
        var port = PeerPrograms.FreePort();
        var url = $"opc.tcp://127.0.0.1:{port}/freeopcua/server/";
        var source = $"opcua {url}";
        var silent = new TcpListener(IPAddress.Loopback, port);
        silent.Start();
        var held = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            while (true) held.Add(await silent.AcceptTcpClientAsync());
        });
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OpcUa:Endpoints:0:Url"] = url,
            ["OpcUa:Endpoints:0:PublishingInterval"] = "00:00:00.200",
            ["OpcUa:Endpoints:0:HandshakeTimeout"] = "00:00:02",
            ["OpcUa:Endpoints:0:ReconnectMinDelay"] = "00:00:00.200",
            ["OpcUa:Endpoints:0:ReconnectMaxDelay"] = "00:00:01",
        };
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, settings);
        using var http = new HttpClient { BaseAddress = scraper.BaseAddress };

        await Stored.EventuallyAsync(async () => Value(await MetricsAsync(http), "thermalplant_scraper_source_failures_total", source) >= 2, Settle,
            async () => $"the silent endpoint was not retried:\n{await MetricsAsync(http)}");
        var ready = await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.StartsWith("Degraded", ready, StringComparison.Ordinal);
        Assert.Contains($"{source}: BadTimeout: Hello/Acknowledge", ready, StringComparison.Ordinal);
        var metrics = await MetricsAsync(http);
        Assert.Equal(0, Value(metrics, "thermalplant_scraper_source_connected", source));
        Assert.Equal(0, Value(metrics, "thermalplant_scraper_source_state", source, "connected"));
        Assert.Equal(1, Value(metrics, "thermalplant_scraper_source_state", source, "connecting") + Value(metrics, "thermalplant_scraper_source_state", source, "backoff"));
        Assert.All(held, tcp => Assert.True(tcp.Connected));

        silent.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => accepting);
        foreach (var tcp in held) tcp.Dispose();
        await using var plant = await PlantServer.StartAsync(port);
        plant.StartProducing();

        await Stored.EventuallyAsync(async () => Value(await MetricsAsync(http), "thermalplant_scraper_source_state", source, "connected") == 1, Settle,
            async () => $"the scraper did not connect once the server answered:\n{await MetricsAsync(http)}");
        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_data WHERE sensorname = 'temperature'") > 0, Settle,
            () => Task.FromResult("nothing stored after connecting"));
        var healthy = await http.GetStringAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.True(healthy == "Healthy", healthy);
    }

    private static Task<string> MetricsAsync(HttpClient http) => http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    /// <summary>The value of <paramref name="name"/> for <paramref name="source"/> (and <paramref name="state"/>); -1 when absent.</summary>
    private static double Value(string metrics, string name, string source, string? state = null)
    {
        var labels = state is null ? $"{{source=\"{source}\"}}" : $"{{source=\"{source}\",state=\"{state}\"}}";
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(name + labels + " ", StringComparison.Ordinal)) return double.Parse(line[(name.Length + labels.Length + 1)..], CultureInfo.InvariantCulture);
        }
        return -1;
    }
}
