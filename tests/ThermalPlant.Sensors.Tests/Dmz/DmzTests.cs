using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ThermalPlant.Sensors.Tests.Support;
using ThermalPlant.Testing;

namespace ThermalPlant.Sensors.Tests.Dmz;

/// <summary>The repository's nginx DMZ configuration, run by real nginx in front of the real sensors service.</summary>
public sealed class DmzTests : IAsyncLifetime
{
    private SensorsServer _sensors = null!;
    private DmzNginx _dmz = null!;

    public async Task InitializeAsync()
    {
        _sensors = await SensorsServer.StartAsync();
        await SensorsServer.WaitUntilAsync(async () => (await _sensors.Client.GetAsync("/health/ready")).IsSuccessStatusCode, "every sensor sampled");
        _dmz = await DmzNginx.StartAsync(_sensors.Address);
    }

    public async Task DisposeAsync()
    {
        if (_dmz is not null) await _dmz.DisposeAsync();
        await _sensors.DisposeAsync();
    }

    [Theory]
    [InlineData("/temperature/upper")]
    [InlineData("/temperature/lower")]
    [InlineData("/temperature")]
    [InlineData("/rpm")]
    [InlineData("/rpm?format=legacy")]
    [InlineData("/voltage")]
    [InlineData("/audio/mfcc")]
    [InlineData("/audio/spectrum")]
    [InlineData("/audio/level")]
    [InlineData("/readings")]
    [InlineData("/sensors")]
    [InlineData("/ping")]
    [InlineData("/temperature_upper")]
    [InlineData("/temperature_lower")]
    [InlineData("/mfcc")]
    [InlineData("/spectrum")]
    [InlineData("/audio")]
    public async Task Read_routes_pass_through_untouched(string route)
    {
        var viaDmz = await _dmz.Client.GetAsync(route);
        Assert.Equal(HttpStatusCode.OK, viaDmz.StatusCode);
        var body = await viaDmz.Content.ReadAsStringAsync();
        using var parsed = JsonDocument.Parse(body);
        Assert.Equal(viaDmz.Content.Headers.ContentType?.MediaType, (await _sensors.Client.GetAsync(route)).Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_static_payload_is_byte_identical_through_the_dmz()
    {
        var direct = await _sensors.Client.GetByteArrayAsync("/sensors");
        var viaDmz = await _dmz.Client.GetByteArrayAsync("/sensors");
        Assert.Equal(direct, viaDmz);
    }

    [Fact]
    public async Task Head_passes()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, "/readings");
        Assert.Equal(HttpStatusCode.OK, (await _dmz.Client.SendAsync(request)).StatusCode);
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/status")]
    [InlineData("/settings")]
    [InlineData("/rpm/settings")]
    [InlineData("/voltage/settings")]
    [InlineData("/audio/settings")]
    [InlineData("/simulation/faults")]
    [InlineData("/health/ready")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/temperature/upper/../../metrics")]
    [InlineData("/temperature/upper/")]
    [InlineData("/readings.json")]
    public async Task Other_paths_are_refused_with_404(string route)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_dmz.Address, route));
        var response = await _dmz.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    // Sent as raw request lines: HttpClient would normalize dot segments and backslashes before they reach nginx.
    [Theory]
    [InlineData("/rpm/settings%2f..%2f..%2frpm")]
    [InlineData("/rpm/settings%2F..%2F..%2Frpm")]
    [InlineData("/rpm%2fsettings")]
    [InlineData("/temperature/upper/%2e%2e/%2E%2E/rpm")]
    [InlineData("/rpm%2E")]
    [InlineData("/rpm%5csettings")]
    [InlineData("/rpm\\settings")]
    [InlineData("/readings%252f")]
    [InlineData("/temperature/upper/../../rpm")]
    [InlineData("/rpm/settings/../../rpm")]
    [InlineData("/rpm/./")]
    [InlineData("/./rpm")]
    [InlineData("/rpm/..")]
    [InlineData("/rpm/.?format=legacy")]
    public async Task Encoded_slashes_dots_backslashes_and_dot_segments_are_refused_with_400(string rawPath)
    {
        Assert.NotNull(_dmz);
        var (status, contentType) = await RawGetAsync(_dmz.Address, rawPath);
        Assert.Equal(400, status);
        Assert.Equal("application/problem+json", contentType);
    }

    [Theory]
    [InlineData("/readings?note=a%2Fb")]
    [InlineData("/rpm?format=legacy&x=..%2f..")]
    [InlineData("/temperature/upper")]
    public async Task Encoded_characters_in_the_query_and_plain_paths_still_pass(string rawPath)
    {
        Assert.NotNull(_dmz);
        var (status, _) = await RawGetAsync(_dmz.Address, rawPath);
        Assert.Equal(200, status);
    }

    [Theory]
    [InlineData("POST", "/simulation/faults")]
    [InlineData("PUT", "/rpm/settings")]
    [InlineData("DELETE", "/readings")]
    [InlineData("POST", "/temperature/upper")]
    [InlineData("OPTIONS", "/readings")]
    [InlineData("PATCH", "/audio/settings")]
    public async Task Other_methods_are_refused_with_405(string method, string route)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), route) { Content = new StringContent("{}") };
        var response = await _dmz.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task A_refused_fault_injection_leaves_the_plant_untouched()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/simulation/faults") { Content = new StringContent("""{"type":"open_thermocouple","target":"upper"}""", System.Text.Encoding.UTF8, "application/json") };
        await _dmz.Client.SendAsync(request);
        Assert.Equal("[]", await _sensors.Client.GetStringAsync("/simulation/faults"));
    }

    [Fact]
    public async Task Oversized_headers_are_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/readings");
        request.Headers.Add("X-Padding", new string('a', 16 * 1024));
        var response = await _dmz.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_burst_beyond_the_rate_limit_is_answered_429()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 1000; i++)
        {
            statuses.Add((await _dmz.Client.GetAsync("/ping")).StatusCode);
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Contains(HttpStatusCode.OK, statuses);
    }

    [Fact]
    public async Task Sensors_down_is_a_502_problem()
    {
        await _sensors.DisposeAsync();
        var response = await _dmz.Client.GetAsync("/readings");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        _sensors = await SensorsServer.StartAsync();
    }

    /// <summary>Sends "GET <paramref name="rawPath"/>" exactly as given and returns the status and content type.</summary>
    private static async Task<(int Status, string? ContentType)> RawGetAsync(Uri address, string rawPath)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {rawPath} HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var response = await reader.ReadToEndAsync(timeout.Token);
        var lines = response.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var contentType = lines.TakeWhile(line => line.Length > 0)
            .FirstOrDefault(line => line.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?["Content-Type:".Length..].Trim();
        return (status, contentType);
    }
}
