using System.Net;
using System.Text.Json;
using ThermalPlant.Sensors.Tests.Support;
using ThermalPlant.Testing;

namespace ThermalPlant.Sensors.Tests.Api;

public sealed class ReadRouteTests : IAsyncLifetime
{
    private SensorsServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await SensorsServer.StartAsync();
        await SensorsServer.WaitUntilAsync(async () => (await _server.Client.GetAsync("/health/ready")).IsSuccessStatusCode, "every sensor sampled");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("/temperature/upper", "temperature_upper", "Temperature/Upper", "degC")]
    [InlineData("/temperature/lower", "temperature_lower", "Temperature/Lower", "degC")]
    [InlineData("/rpm", "rpm_main_shaft", "RPM/MainShaft", "rpm")]
    [InlineData("/voltage", "voltage_main_supply", "Voltage/MainSupply", "V")]
    public async Task Scalar_routes_answer_a_good_reading_with_every_contract_field(string route, string sensor, string tag, string unit)
    {
        using var doc = await GetJson(route);
        var root = doc.RootElement;
        Assert.Equal(sensor, root.GetProperty("sensor").GetString());
        Assert.Equal(tag, root.GetProperty("tag").GetString());
        Assert.Equal(unit, root.GetProperty("unit").GetString());
        Assert.Equal("good", root.GetProperty("quality").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("fault").ValueKind);
        Assert.True(root.GetProperty("value").GetDouble() > 0);
        var timestamp = root.GetProperty("timestamp").GetDateTimeOffset();
        Assert.Equal(TimeSpan.Zero, timestamp.Offset);
        Assert.InRange(DateTimeOffset.UtcNow - timestamp, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Simulated_plant_reads_physically_plausible_values()
    {
        using var upper = await GetJson("/temperature/upper");
        using var lower = await GetJson("/temperature/lower");
        using var rpm = await GetJson("/rpm");
        using var voltage = await GetJson("/voltage");
        var upperC = upper.RootElement.GetProperty("value").GetDouble();
        var lowerC = lower.RootElement.GetProperty("value").GetDouble();
        Assert.InRange(upperC, 300, 500);
        Assert.InRange(lowerC, 150, 350);
        Assert.True(upperC > lowerC, "the upper zone is hotter");
        Assert.InRange(rpm.RootElement.GetProperty("value").GetDouble(), 1000, 1600);
        Assert.InRange(voltage.RootElement.GetProperty("value").GetDouble(), 22, 25);
        Assert.Equal(0, upperC * 4 % 1, 9);
    }

    [Fact]
    public async Task Temperature_route_answers_both_thermocouples()
    {
        using var doc = await GetJson("/temperature");
        Assert.Equal("temperature_upper", doc.RootElement.GetProperty("upper").GetProperty("sensor").GetString());
        Assert.Equal("temperature_lower", doc.RootElement.GetProperty("lower").GetProperty("sensor").GetString());
    }

    [Fact]
    public async Task Readings_holds_every_catalog_sensor_in_one_document()
    {
        using var catalog = await GetJson("/sensors");
        using var readings = await GetJson("/readings");
        var expected = catalog.RootElement.GetProperty("sensors").EnumerateArray().Select(s => s.GetProperty("sensor").GetString()).ToList();
        var actual = readings.RootElement.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("sensor").GetString()).ToList();
        Assert.Equal(expected, actual);
        Assert.True(readings.RootElement.GetProperty("timestamp").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task Catalog_describes_units_ranges_and_vector_lengths_with_a_stable_etag()
    {
        var response = await _server.Client.GetAsync("/sensors");
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var sensors = doc.RootElement.GetProperty("sensors").EnumerateArray().ToDictionary(s => s.GetProperty("tag").GetString()!);
        Assert.Equal("CEL", sensors["Temperature/Upper"].GetProperty("unece_code").GetString());
        Assert.Equal(1350, sensors["Temperature/Upper"].GetProperty("range_high").GetDouble());
        Assert.Equal(50, sensors["Audio/MFCC"].GetProperty("length").GetInt32());
        Assert.Equal("Coefficient_", sensors["Audio/MFCC"].GetProperty("element_prefix").GetString());
        Assert.Equal("Band_", sensors["Audio/Spectrum"].GetProperty("element_prefix").GetString());
        Assert.Contains("RPM/MainShaft", sensors.Keys);
        Assert.Contains("Voltage/MainSupply", sensors.Keys);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/sensors");
        conditional.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await _server.Client.SendAsync(conditional)).StatusCode);
    }

    [Fact]
    public async Task Status_shows_mode_and_every_sensor_healthy()
    {
        using var doc = await GetJson("/status");
        Assert.Equal("simulated", doc.RootElement.GetProperty("mode").GetString());
        var devices = doc.RootElement.GetProperty("devices").EnumerateArray().ToList();
        Assert.Contains(devices, d => d.GetProperty("sensor").GetString() == "temperature_upper");
        Assert.All(devices, d => Assert.True(d.GetProperty("healthy").GetBoolean()));
    }

    [Fact]
    public async Task Unknown_route_is_a_404_problem()
    {
        var response = await _server.Client.GetAsync("/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("POST", "/temperature/upper")]
    [InlineData("DELETE", "/readings")]
    [InlineData("PUT", "/rpm")]
    public async Task Wrong_method_is_a_405_problem(string method, string route)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), route);
        var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Head_is_answered_without_a_body()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, "/temperature/upper");
        var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Health_metrics_and_openapi_are_served()
    {
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync("/health/ready")).StatusCode);
        var metrics = await _server.Client.GetStringAsync("/metrics");
        Assert.Contains("thermalplant_sensors_samples_total{sensor=\"temperature_upper\",result=\"good\"}", metrics, StringComparison.Ordinal);
        MetricConvention.AssertFollowed(metrics);
        using var openApi = await GetJson("/openapi/v1.json");
        Assert.True(openApi.RootElement.GetProperty("paths").TryGetProperty("/readings", out _));
    }

    private async Task<JsonDocument> GetJson(string route)
    {
        var response = await _server.Client.GetAsync(route);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
