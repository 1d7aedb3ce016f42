using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ThermalPlant.Sensors.Tests.Support;

namespace ThermalPlant.Sensors.Tests.Api;

/// <summary>POST /simulation/faults is capped by Sensors:MaxActiveFaults: beyond it a 409 problem, and nothing is injected.</summary>
public sealed class FaultInjectionLimitTests
{
    private static readonly object BearingWear = new { type = "bearing_wear", harmonics = new[] { 3.6, 5.4 }, growth_per_hour = 10 };

    [Fact]
    public async Task The_33rd_fault_is_a_409_problem_and_clearing_one_makes_room()
    {
        await using var server = await SensorsServer.StartAsync();
        var created = new List<Uri>();
        for (var i = 0; i < 32; i++)
        {
            var response = await server.Client.PostAsJsonAsync("/simulation/faults", BearingWear);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            created.Add(response.Headers.Location!);
        }

        var refused = await server.Client.PostAsJsonAsync("/simulation/faults", BearingWear);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
        {
            Assert.Equal(409, problem.RootElement.GetProperty("status").GetInt32());
            Assert.Contains("Sensors:MaxActiveFaults", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(32, await ActiveFaultsAsync(server));

        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync(created[0])).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await server.Client.PostAsJsonAsync("/simulation/faults", BearingWear)).StatusCode);
        Assert.Equal(32, await ActiveFaultsAsync(server));
    }

    [Fact]
    public async Task Concurrent_injections_never_pass_the_configured_cap_together()
    {
        await using var server = await SensorsServer.StartAsync(new Dictionary<string, string> { ["Sensors:MaxActiveFaults"] = "4" });

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => server.Client.PostAsJsonAsync("/simulation/faults", BearingWear)));

        Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(36, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(4, await ActiveFaultsAsync(server));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1025")]
    public async Task A_cap_out_of_range_stops_the_start_naming_the_key(string value)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SensorsServer.StartAsync(new Dictionary<string, string> { ["Sensors:MaxActiveFaults"] = value }));
        Assert.Contains(error.Failures, f => f.StartsWith("Sensors:MaxActiveFaults", StringComparison.Ordinal));
    }

    [Fact]
    public async Task More_faults_at_start_than_the_cap_stop_the_start()
    {
        var settings = new Dictionary<string, string> { ["Sensors:MaxActiveFaults"] = "1" };
        for (var i = 0; i < 2; i++)
        {
            settings[$"Sensors:Simulation:Faults:{i}:Type"] = "OpenThermocouple";
            settings[$"Sensors:Simulation:Faults:{i}:Target"] = "upper";
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SensorsServer.StartAsync(settings));

        Assert.Contains(error.Failures, f => f.StartsWith("Sensors:Simulation:Faults holds 2 faults", StringComparison.Ordinal));
    }

    private static async Task<int> ActiveFaultsAsync(SensorsServer server)
    {
        using var faults = JsonDocument.Parse(await server.Client.GetStringAsync("/simulation/faults"));
        return faults.RootElement.GetArrayLength();
    }
}
