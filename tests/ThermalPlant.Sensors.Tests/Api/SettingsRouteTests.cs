using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ThermalPlant.Sensors.Tests.Support;

namespace ThermalPlant.Sensors.Tests.Api;

public sealed class SettingsRouteTests : IAsyncLifetime
{
    private SensorsServer _server = null!;

    public async Task InitializeAsync() => _server = await SensorsServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Valid_rpm_settings_are_applied_and_returned()
    {
        var response = await _server.Client.PutAsJsonAsync("/rpm/settings", new { measurement_window = 10, measurement_interval = 0.1, sample_size = 4 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/rpm/settings"));
        Assert.Equal(10, doc.RootElement.GetProperty("measurement_window").GetInt32());
        Assert.Equal(0.1, doc.RootElement.GetProperty("measurement_interval").GetDouble());
    }

    [Fact]
    public async Task Invalid_settings_are_a_400_problem_and_change_nothing()
    {
        var response = await _server.Client.PutAsJsonAsync("/voltage/settings", new { measurement_interval = -1, averaging = 4 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("MeasurementInterval", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/voltage/settings"));
        Assert.Equal(0.5, doc.RootElement.GetProperty("measurement_interval").GetDouble());
    }

    [Fact]
    public async Task Malformed_body_is_a_400()
    {
        using var content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        var response = await _server.Client.PutAsync("/audio/settings", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Voltage_interval_change_is_applied_to_the_sampling_rate()
    {
        // The original build accepted voltage settings and dropped them; here the sampling rate must follow.
        // A count in a fixed second of real time failed when a loaded machine starved the loop; instead 40 samples must
        // come within 10 s: 0.8 s at the new 50 Hz, 20 s at the old 2 Hz (a wait already begun at 2 Hz ends within 0.5 s).
        var response = await _server.Client.PutAsJsonAsync("/voltage/settings", new { measurement_interval = 0.02, averaging = 1 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var before = await VoltageSamples();
        var watch = Stopwatch.StartNew();
        long taken;
        do
        {
            await Task.Delay(100);
            taken = await VoltageSamples() - before;
        }
        while (taken < 40 && watch.Elapsed < TimeSpan.FromSeconds(10));
        Assert.True(taken >= 40, $"expected 40 samples within 10 s at 50 Hz, got {taken} in {watch.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task Mfcc_count_change_changes_the_catalog()
    {
        var before = (await _server.Client.GetAsync("/sensors")).Headers.ETag;
        var response = await _server.Client.PutAsJsonAsync("/audio/settings", new { sample_duration = 1.0, mfcc_count = 13, buffer_size = 3 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var catalog = await _server.Client.GetAsync("/sensors");
        Assert.NotEqual(before, catalog.Headers.ETag);
        using var doc = JsonDocument.Parse(await catalog.Content.ReadAsStringAsync());
        var mfcc = doc.RootElement.GetProperty("sensors").EnumerateArray().Single(s => s.GetProperty("tag").GetString() == "Audio/MFCC");
        Assert.Equal(13, mfcc.GetProperty("length").GetInt32());
    }

    private async Task<long> VoltageSamples()
    {
        using var doc = JsonDocument.Parse(await _server.Client.GetStringAsync("/status"));
        return doc.RootElement.GetProperty("devices").EnumerateArray()
            .Single(d => d.GetProperty("sensor").GetString() == "voltage_main_supply").GetProperty("samples").GetInt64();
    }
}
