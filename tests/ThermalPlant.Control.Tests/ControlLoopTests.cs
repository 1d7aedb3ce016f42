using ThermalPlant.Control.Links;
using ThermalPlant.Control.Sources;
using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.Control.Tests;

/// <summary>
/// The control loop end to end over loopback: the methanation unit's OPC UA server publishes a flow request, the link
/// writes the interpolated current to the simulated electrolyzer over Modbus TCP, and its hydrogen flow follows.
/// </summary>
public sealed class ControlLoopTests
{
    [Fact]
    public async Task The_electrolyzer_produces_the_hydrogen_the_methanation_unit_requests()
    {
        await using var plant = await SimulatedPlant.StartAsync(request: 7.5);
        var (link, clients) = plant.CreateLink(plant.LinkOptions());
        await using var _ = clients;

        var cycle = await link.RunCycleAsync(CancellationToken.None);
        Assert.Equal(ControlOutcome.Written, cycle.Outcome);
        Assert.Equal(new SetPointConversion(21, CurveRange.Inside, "flow 7.5 -> 21 A, Interpolated"), cycle.Conversion);
        Assert.Equal((ushort)21, cycle.ReadBack);
        Assert.Equal(21, plant.SetPointRegister);

        plant.Advance(TimeSpan.FromSeconds(120));
        Assert.Equal(21, plant.Simulator.Current);
        Assert.InRange(plant.Simulator.H2Flow, 7.3, 7.5);

        plant.Methanation.SetRequest(16.7);
        cycle = await link.RunCycleAsync(CancellationToken.None);
        Assert.Equal((ushort)47, cycle.Register);
        plant.Advance(TimeSpan.FromSeconds(5));
        Assert.InRange(plant.Simulator.H2Flow, 7.5, 16.0);
        plant.Advance(TimeSpan.FromSeconds(120));
        Assert.InRange(plant.Simulator.H2Flow, 16.5, 16.7);
        Assert.Equal(2, link.Writes);
    }

    [Fact]
    public async Task Cutting_the_OPC_UA_source_ramps_the_current_down_to_the_safe_value()
    {
        await using var plant = await SimulatedPlant.StartAsync(request: 16.7);
        var (link, clients) = plant.CreateLink(plant.LinkOptions(o => o.MaxRatePerSecond = 10));
        await using var _ = clients;

        var written = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            written.Add((await link.RunCycleAsync(CancellationToken.None)).Register!.Value);
            plant.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal([10, 20, 30, 40, 47, 47], written);

        await plant.StopMethanationAsync();
        var ramp = new List<ControlCycle>();
        for (var i = 0; i < 6; i++)
        {
            ramp.Add(await link.RunCycleAsync(CancellationToken.None));
            plant.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.All(ramp, c => Assert.Equal(SourceQuality.Unreachable, c.Reading.Quality));
        Assert.All(ramp, c => Assert.Equal(ControlOutcome.Written, c.Outcome));
        Assert.Equal([37, 27, 17, 7, 0, 0], ramp.Select(c => (int)c.Register!.Value));
        Assert.Equal(0, plant.SetPointRegister);
        Assert.Equal(1, plant.Log.Count(314));
        plant.Advance(TimeSpan.FromSeconds(120));
        Assert.InRange(plant.Simulator.H2Flow, 0, 0.01);
    }

    [Fact]
    public async Task A_bad_source_with_hold_writes_nothing_and_resumes_when_good_again()
    {
        await using var plant = await SimulatedPlant.StartAsync(request: 7.5);
        var (link, clients) = plant.CreateLink(plant.LinkOptions(o => o.OnSourceLoss = SourceLossAction.Hold));
        await using var _ = clients;

        await link.RunCycleAsync(CancellationToken.None);
        plant.Methanation.SetBad(StatusCodes.BadSensorFailure);
        var held = await link.RunCycleAsync(CancellationToken.None);
        Assert.Equal(ControlOutcome.Held, held.Outcome);
        Assert.Equal(SourceQuality.Bad, held.Reading.Quality);
        Assert.Contains("BadSensorFailure", held.Problem, StringComparison.Ordinal);
        Assert.Equal(21, plant.SetPointRegister);
        Assert.Equal(1, link.Writes);

        plant.Methanation.SetRequest(16.7);
        Assert.Equal(ControlOutcome.Written, (await link.RunCycleAsync(CancellationToken.None)).Outcome);
        Assert.Equal(47, plant.SetPointRegister);
        Assert.Equal(1, plant.Log.Count(315));
    }

    [Fact]
    public async Task A_stale_value_counts_as_lost()
    {
        await using var plant = await SimulatedPlant.StartAsync(request: 7.5);
        var (link, clients) = plant.CreateLink(plant.LinkOptions(o => { o.MaxSourceAge = TimeSpan.FromSeconds(30); o.SafeValue = 8; }));
        await using var _ = clients;

        Assert.Equal((ushort)21, (await link.RunCycleAsync(CancellationToken.None)).Register);
        plant.Advance(TimeSpan.FromSeconds(60));
        var cycle = await link.RunCycleAsync(CancellationToken.None);
        Assert.Equal(SourceQuality.Stale, cycle.Reading.Quality);
        Assert.Equal((ushort)8, cycle.Register);
    }

    [Fact]
    public async Task The_interlock_blocks_writes_until_the_cooler_is_cold_and_is_logged_at_most_every_10_s()
    {
        await using var plant = await SimulatedPlant.StartAsync(coolerTemperature: 20, request: 7.5);
        var (link, clients) = plant.CreateLink(plant.LinkOptions());
        await using var _ = clients;

        for (var i = 0; i < 12; i++)
        {
            var cycle = await link.RunCycleAsync(CancellationToken.None);
            Assert.Equal(ControlOutcome.Interlocked, cycle.Outcome);
            plant.Time.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(0, plant.SetPointRegister);
        Assert.Equal(0, link.Writes);
        Assert.Equal(2, plant.Log.Count(316));
        Assert.Contains(plant.Log.Entries, e => e.Message.Contains("h2_cooling_temperature_reached (status bit 10) is clear", StringComparison.Ordinal));

        plant.Advance(TimeSpan.FromSeconds(120));
        Assert.True(plant.Simulator.CoolingReached);
        Assert.Equal(ControlOutcome.Written, (await link.RunCycleAsync(CancellationToken.None)).Outcome);
        Assert.Equal(21, plant.SetPointRegister);
        Assert.Equal(1, plant.Log.Count(317));
    }

    [Fact]
    public async Task Without_an_enable_condition_a_warm_cooler_does_not_block()
    {
        await using var plant = await SimulatedPlant.StartAsync(coolerTemperature: 20, request: 7.5);
        var (link, clients) = plant.CreateLink(plant.LinkOptions(o => o.Enable.Active = false));
        await using var _ = clients;
        Assert.Equal(ControlOutcome.Written, (await link.RunCycleAsync(CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task The_rate_limit_and_the_limits_hold_even_against_a_stray_device_value()
    {
        await using var plant = await SimulatedPlant.StartAsync(request: 16.7);
        plant.Simulator.Store.WriteHoldingRegisters(0x8006, [60]);
        var (link, clients) = plant.CreateLink(plant.LinkOptions(o => { o.MaxRatePerSecond = 4; o.Maximum = 30; o.Minimum = 2; o.SafeValue = 2; }));
        await using var _ = clients;

        var written = new List<int>();
        for (var i = 0; i < 4; i++) written.Add((await link.RunCycleAsync(CancellationToken.None)).Register!.Value);
        Assert.Equal([30, 30, 30, 30], written);

        plant.Methanation.SetRequest(0);
        written.Clear();
        for (var i = 0; i < 9; i++) written.Add((await link.RunCycleAsync(CancellationToken.None)).Register!.Value);
        Assert.Equal([26, 22, 18, 14, 10, 6, 2, 2, 2], written);
    }

    [Fact]
    public async Task A_dry_run_computes_and_logs_but_writes_nothing()
    {
        await using var plant = await SimulatedPlant.StartAsync(request: 16.7);
        var (link, clients) = plant.CreateLink(plant.LinkOptions(o => o.DryRun = true));
        await using var _ = clients;

        for (var i = 0; i < 3; i++)
        {
            var cycle = await link.RunCycleAsync(CancellationToken.None);
            Assert.Equal(ControlOutcome.DryRun, cycle.Outcome);
            Assert.Equal((ushort)47, cycle.Register);
        }
        Assert.Equal(0, plant.SetPointRegister);
        Assert.Equal(0, link.Writes);
        Assert.Equal(3, link.DryRunWrites);
        Assert.Equal(3, plant.Log.Count(313));
    }

    [Fact]
    public async Task A_lost_device_is_reported_and_the_link_recovers_when_it_returns()
    {
        await using var plant = await SimulatedPlant.StartAsync(request: 7.5);
        var (link, clients) = plant.CreateLink(plant.LinkOptions());
        await using var _ = clients;

        await plant.StopModbusAsync();
        var cycle = await link.RunCycleAsync(CancellationToken.None);
        Assert.Equal(ControlOutcome.DeviceUnavailable, cycle.Outcome);
        Assert.Equal(1, plant.Log.Count(318));
        Assert.Equal(0, link.Writes);
    }

    [Fact]
    public async Task The_loop_runs_once_per_period_on_its_clock()
    {
        await using var plant = await SimulatedPlant.StartAsync(request: 7.5);
        var (link, clients) = plant.CreateLink(plant.LinkOptions());
        await using var _ = clients;
        using var stop = new CancellationTokenSource();

        var run = link.RunAsync(stop.Token);
        await WaitFor(() => link.Writes == 1);
        for (var expected = 2; expected <= 4; expected++)
        {
            plant.Time.Advance(TimeSpan.FromSeconds(1));
            await WaitFor(() => link.Writes == expected);
        }
        await Task.Delay(200);
        Assert.Equal(4, link.Writes);
        await stop.CancelAsync();
        await run;
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 10 s");
            await Task.Delay(20);
        }
    }
}
