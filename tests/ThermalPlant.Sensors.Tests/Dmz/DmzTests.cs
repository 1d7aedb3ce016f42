using System.Net;
using System.Text.Json;
using ThermalPlant.Sensors.Tests.Support;
using ThermalPlant.Testing;

namespace ThermalPlant.Sensors.Tests.Dmz;

/// <summary>The repository's nginx DMZ configuration, run by real nginx in front of the real sensors service.</summary>
public sealed class DmzTests : IAsyncLifetime
{
    private SensorsServer _sensors = null!;
    private DmzNginx? _dmz;

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
        if (_dmz is null) return;
        var viaDmz = await _dmz.Client.GetAsync(route);
        Assert.Equal(HttpStatusCode.OK, viaDmz.StatusCode);
        var body = await viaDmz.Content.ReadAsStringAsync();
        using var parsed = JsonDocument.Parse(body);
        Assert.Equal(viaDmz.Content.Headers.ContentType?.MediaType, (await _sensors.Client.GetAsync(route)).Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_static_payload_is_byte_identical_through_the_dmz()
    {
        if (_dmz is null) return;
        var direct = await _sensors.Client.GetByteArrayAsync("/sensors");
        var viaDmz = await _dmz.Client.GetByteArrayAsync("/sensors");
        Assert.Equal(direct, viaDmz);
    }

    [Fact]
    public async Task Head_passes()
    {
        if (_dmz is null) return;
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
        if (_dmz is null) return;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_dmz.Address, route));
        var response = await _dmz.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
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
        if (_dmz is null) return;
        using var request = new HttpRequestMessage(new HttpMethod(method), route) { Content = new StringContent("{}") };
        var response = await _dmz.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task A_refused_fault_injection_leaves_the_plant_untouched()
    {
        if (_dmz is null) return;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/simulation/faults") { Content = new StringContent("""{"type":"open_thermocouple","target":"upper"}""", System.Text.Encoding.UTF8, "application/json") };
        await _dmz.Client.SendAsync(request);
        Assert.Equal("[]", await _sensors.Client.GetStringAsync("/simulation/faults"));
    }

    [Fact]
    public async Task Oversized_headers_are_refused()
    {
        if (_dmz is null) return;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/readings");
        request.Headers.Add("X-Padding", new string('a', 16 * 1024));
        var response = await _dmz.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_burst_beyond_the_rate_limit_is_answered_429()
    {
        if (_dmz is null) return;
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
        if (_dmz is null) return;
        await _sensors.DisposeAsync();
        var response = await _dmz.Client.GetAsync("/readings");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        _sensors = await SensorsServer.StartAsync();
    }
}
