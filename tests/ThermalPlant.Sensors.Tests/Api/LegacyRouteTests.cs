using System.Net;
using System.Text.Json;
using ThermalPlant.Sensors.Tests.Support;

namespace ThermalPlant.Sensors.Tests.Api;

public sealed class LegacyRouteTests : IAsyncLifetime
{
    private SensorsServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await SensorsServer.StartAsync();
        await SensorsServer.WaitUntilAsync(async () => (await _server.Client.GetAsync("/health/ready")).IsSuccessStatusCode, "every sensor sampled");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Ping_answers_pong() => Assert.Equal("\"pong\"", await _server.Client.GetStringAsync("/ping"));

    [Theory]
    [InlineData("/temperature_upper")]
    [InlineData("/temperature_lower")]
    [InlineData("/rpm?format=legacy")]
    [InlineData("/voltage?format=legacy")]
    public async Task Original_scalar_routes_answer_a_bare_number(string route)
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync(route));
        Assert.Equal(JsonValueKind.Number, doc.RootElement.ValueKind);
    }

    [Fact]
    public async Task Legacy_shapes_by_default_swaps_the_rpm_and_voltage_defaults()
    {
        await using var server = await SensorsServer.StartAsync(new Dictionary<string, string> { ["Sensors:LegacyShapesByDefault"] = "true" });
        await SensorsServer.WaitUntilAsync(async () => (await server.Client.GetAsync("/rpm")).IsSuccessStatusCode, "rpm sampled");
        using var bare = JsonDocument.Parse(await server.Client.GetStringAsync("/rpm"));
        Assert.Equal(JsonValueKind.Number, bare.RootElement.ValueKind);
        using var reading = JsonDocument.Parse(await server.Client.GetStringAsync("/rpm?format=reading"));
        Assert.Equal("rpm_main_shaft", reading.RootElement.GetProperty("sensor").GetString());
    }

    [Fact]
    public async Task Health_of_a_named_check_answers_healthy_or_404()
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/health/temperature"));
        Assert.Equal("healthy", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("/health/nonsense")).StatusCode);
    }

    [Fact]
    public async Task Settings_routes_show_the_sampling_in_force()
    {
        using var all = JsonDocument.Parse(await _server.Client.GetStringAsync("/settings"));
        Assert.Equal(5, all.RootElement.GetProperty("rpm").GetProperty("measurement_window").GetInt32());
        using var audio = JsonDocument.Parse(await _server.Client.GetStringAsync("/audio/settings"));
        Assert.Equal(50, audio.RootElement.GetProperty("mfcc_count").GetInt32());
    }
}
