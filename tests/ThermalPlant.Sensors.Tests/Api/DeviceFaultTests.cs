using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ThermalPlant.Sensors.Devices;
using ThermalPlant.Sensors.Simulation;
using ThermalPlant.Sensors.Tests.Support;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors.Tests.Api;

public sealed class DeviceFaultTests
{
    private static readonly Dictionary<string, string> FastTemperature = new() { ["Sensors:Temperature:MeasurementInterval"] = "0.1" };

    [Fact]
    public async Task A_bus_error_makes_only_that_reading_bad_and_it_recovers_by_itself()
    {
        var upper = new ScriptedThermocouple(401.25);
        await using var server = await StartWith(upper);
        await WaitForQuality(server, "/temperature/upper", "good");

        upper.Fail(new IOException("SPI transfer failed"));
        using (var bad = await WaitForQuality(server, "/temperature/upper", "bad"))
        {
            Assert.Equal("device_error", bad.RootElement.GetProperty("fault").GetString());
            Assert.Equal(JsonValueKind.Null, bad.RootElement.GetProperty("value").ValueKind);
        }
        using (var status = JsonDocument.Parse(await server.Client.GetStringAsync("/status")))
        {
            var device = status.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("sensor").GetString() == "temperature_upper");
            Assert.False(device.GetProperty("healthy").GetBoolean());
            Assert.Equal("SPI transfer failed", device.GetProperty("last_error").GetString());
        }
        using (var lower = JsonDocument.Parse(await server.Client.GetStringAsync("/temperature/lower")))
        {
            Assert.Equal("good", lower.RootElement.GetProperty("quality").GetString());
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Client.GetAsync("/temperature_upper")).StatusCode);

        upper.Recover();
        using var good = await WaitForQuality(server, "/temperature/upper", "good");
        Assert.Equal(401.25, good.RootElement.GetProperty("value").GetDouble());
    }

    [Theory]
    [InlineData(ThermocoupleFault.OpenCircuit, "open_circuit")]
    [InlineData(ThermocoupleFault.ShortToGround, "short_to_ground")]
    [InlineData(ThermocoupleFault.ShortToVcc, "short_to_vcc")]
    public async Task A_converter_fault_bit_is_named_in_the_reading(ThermocoupleFault fault, string expected)
    {
        var upper = new ScriptedThermocouple(100);
        upper.Fault(fault);
        await using var server = await StartWith(upper);
        using var bad = await WaitForQuality(server, "/temperature/upper", "bad");
        Assert.Equal(expected, bad.RootElement.GetProperty("fault").GetString());
    }

    [Fact]
    public async Task A_value_outside_the_type_K_range_is_bad()
    {
        await using var server = await StartWith(new ScriptedThermocouple(1400));
        using var bad = await WaitForQuality(server, "/temperature/upper", "bad");
        Assert.Equal("out_of_range", bad.RootElement.GetProperty("fault").GetString());
    }

    [Fact]
    public async Task Injected_open_thermocouple_fault_turns_bad_and_clearing_it_recovers()
    {
        await using var server = await SensorsServer.StartAsync(FastTemperature);
        await WaitForQuality(server, "/temperature/lower", "good");
        var created = await server.Client.PostAsJsonAsync("/simulation/faults", new { type = "open_thermocouple", target = "lower" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var bad = await WaitForQuality(server, "/temperature/lower", "bad"))
        {
            Assert.Equal("open_circuit", bad.RootElement.GetProperty("fault").GetString());
        }
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync(created.Headers.Location)).StatusCode);
        await WaitForQuality(server, "/temperature/lower", "good");
    }

    [Theory]
    [InlineData("stuck_thermocouple", "upper")]
    [InlineData("thermocouple_drift", "lower")]
    [InlineData("speed_hunting", null)]
    [InlineData("supply_ripple", null)]
    public async Task The_faults_the_diagnosis_finds_are_accepted_listed_and_cleared(string type, string? target)
    {
        await using var server = await SensorsServer.StartAsync();
        var created = await server.Client.PostAsJsonAsync("/simulation/faults", new { type, target });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var listed = JsonDocument.Parse(await server.Client.GetStringAsync("/simulation/faults")))
        {
            var fault = Assert.Single(listed.RootElement.EnumerateArray());
            Assert.Equal(type, fault.GetProperty("spec").GetProperty("type").GetString());
        }
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync(created.Headers.Location)).StatusCode);
        Assert.Equal("[]", await server.Client.GetStringAsync("/simulation/faults"));
    }

    [Fact]
    public async Task A_fault_of_a_new_type_is_validated_too()
    {
        await using var server = await SensorsServer.StartAsync();
        var response = await server.Client.PostAsJsonAsync("/simulation/faults", new { type = "speed_hunting", period_seconds = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("PeriodSeconds", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_fault_is_a_400_problem()
    {
        await using var server = await SensorsServer.StartAsync();
        var response = await server.Client.PostAsJsonAsync("/simulation/faults", new { type = "open_thermocouple", target = "middle" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Target", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fault_injection_does_not_exist_in_hardware_mode()
    {
        var upper = new ScriptedThermocouple(20);
        await using var server = await StartWith(upper, new Dictionary<string, string> { ["Sensors:Mode"] = "Hardware" });
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/simulation/faults")).StatusCode);
    }

    [Fact]
    public async Task Invalid_configuration_stops_the_start_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SensorsServer.StartAsync(new Dictionary<string, string> { ["Sensors:Rpm:MeasurementWindow"] = "0" }));
        Assert.Contains(error.Failures, f => f.StartsWith("Sensors:Rpm:MeasurementWindow", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_hardware_configuration_stops_the_start_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SensorsServer.StartAsync(new Dictionary<string, string>
        {
            ["Sensors:Mode"] = "Hardware",
            ["Sensors:Hardware:Audio:Source"] = "WavFile",
            ["Sensors:Hardware:Audio:WavPath"] = "/nonexistent/recording.wav",
            ["Sensors:Hardware:Voltage:DividerRatio"] = "-1",
        }));
        Assert.Contains(error.Failures, f => f.StartsWith("Sensors:Hardware:Audio:WavPath", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Sensors:Hardware:Voltage:DividerRatio", StringComparison.Ordinal));
    }

    private static Task<SensorsServer> StartWith(IThermocouple upper, Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>(FastTemperature);
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return SensorsServer.StartAsync(settings, services => services.AddSingleton(sp =>
        {
            var plant = sp.GetRequiredService<PlantModel>();
            return new PlantDevices(upper, new SimulatedThermocouple(plant, upper: false), new SimulatedTachometer(plant),
                new SimulatedVoltmeter(plant), new SimulatedAudioSource(plant, TimeProvider.System, 44100));
        }));
    }

    private static async Task<JsonDocument> WaitForQuality(SensorsServer server, string route, string quality)
    {
        JsonDocument? last = null;
        await SensorsServer.WaitUntilAsync(async () =>
        {
            var response = await server.Client.GetAsync(route);
            if (!response.IsSuccessStatusCode) return false;
            last?.Dispose();
            last = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return last.RootElement.GetProperty("quality").GetString() == quality;
        }, $"{route} to read {quality}");
        return last!;
    }
}
