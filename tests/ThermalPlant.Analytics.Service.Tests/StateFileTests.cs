using System.Text;
using ThermalPlant.Analytics.Service.State;

namespace ThermalPlant.Analytics.Service.Tests;

/// <summary>Detector and diagnoser state go to the state file and come back, so a restarted service scores on as before.</summary>
public sealed class StateFileTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-analytics-state-").FullName;

    private string FilePath => Path.Combine(_directory, "state", "analytics-state.bin");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static double Wave(int i, Random random) => 600 + (20 * Math.Sin(i / 30.0)) + random.NextDouble();

    [Fact]
    public async Task A_restored_engine_scores_exactly_as_the_one_that_saved_and_the_diagnoser_keeps_what_it_learned()
    {
        await using var before = TestEngine.Create();
        var upper = before.Tag("Plant/Temperature/Upper");
        var rpm = before.Tag("Plant/RPM/MainShaft");
        var random = new Random(11);
        for (var i = 0; i < 300; i++) before.Score(Start.AddSeconds(i), (upper, Wave(i, random)), (rpm, 1350 + random.NextDouble()));
        Assert.Equal(AnomalyState.Normal, upper.Last.State);

        var detectors = before.Engine.DetectorStates();
        var diagnosers = before.Engine.DiagnoserStates();
        var length = StateFile.Save(FilePath, new SavedState(detectors, diagnosers));
        Assert.Equal(new FileInfo(FilePath).Length, length);
        Assert.False(File.Exists(FilePath + ".tmp"));
        var saved = StateFile.Load(FilePath);
        Assert.Equal(detectors.Keys.Order(StringComparer.Ordinal), saved.Detectors.Keys.Order(StringComparer.Ordinal));
        Assert.All(detectors, d => Assert.Equal(d.Value, saved.Detectors[d.Key]));
        Assert.Equal(diagnosers[Engine.AnalyticsEngine.PlantDiagnoserName], saved.Diagnosers[Engine.AnalyticsEngine.PlantDiagnoserName]);
        Assert.All(saved.Detectors.Values, block => Assert.InRange(block.Length, 1, 4096));

        await using var after = TestEngine.Create();
        Assert.Equal(1, after.Engine.Restore(saved));
        var upperAfter = after.Tag("Plant/Temperature/Upper");
        var rpmAfter = after.Tag("Plant/RPM/MainShaft");
        // The same next samples to both: identical scores, and no learning period after the restart.
        var next = new Random(5);
        var anomalous = 0;
        for (var i = 300; i < 400; i++)
        {
            var (u, r) = (Wave(i, next) + (i == 350 ? 80 : 0), 1350 + next.NextDouble());
            before.Score(Start.AddSeconds(i), (upper, u), (rpm, r));
            after.Score(Start.AddSeconds(i), (upperAfter, u), (rpmAfter, r));
            Assert.Equal(upper.Last, upperAfter.Last);
            Assert.Equal(rpm.Last, rpmAfter.Last);
            Assert.NotEqual(AnomalyState.Learning, upperAfter.Last.State);
            if (upperAfter.Last.State == AnomalyState.Anomalous) anomalous++;
        }
        // The spike at 350 was flagged by both alike: the comparison above held for an anomaly, not only for quiet data.
        Assert.InRange(anomalous, 1, 10);
    }

    [Fact]
    public async Task A_tags_state_that_cannot_be_read_back_costs_that_tag_only_and_unseen_tags_keep_theirs()
    {
        await using var before = TestEngine.Create();
        var upper = before.Tag("Plant/Temperature/Upper");
        var lower = before.Tag("Plant/Temperature/Lower");
        var random = new Random(2);
        for (var i = 0; i < 200; i++) before.Score(Start.AddSeconds(i), (upper, Wave(i, random)), (lower, Wave(i, random) - 200));
        var detectors = before.Engine.DetectorStates();
        detectors["Plant/Temperature/Lower"] = Encoding.ASCII.GetBytes("not a detector state");
        detectors["Plant/Voltage/MainSupply"] = detectors["Plant/Temperature/Upper"];

        await using var after = TestEngine.Create();
        after.Engine.Restore(new SavedState(detectors, new Dictionary<string, byte[]>()));
        var upperAfter = after.Tag("Plant/Temperature/Upper");
        var lowerAfter = after.Tag("Plant/Temperature/Lower");
        after.Score(Start.AddSeconds(200), (upperAfter, Wave(200, random)), (lowerAfter, Wave(200, random) - 200));
        Assert.NotEqual(AnomalyState.Learning, upperAfter.Last.State);
        Assert.Equal(AnomalyState.Learning, lowerAfter.Last.State);
        // A tag not subscribed since the restart keeps its saved state in the next file.
        Assert.Equal(detectors["Plant/Voltage/MainSupply"], after.Engine.DetectorStates()["Plant/Voltage/MainSupply"]);
    }

    [Fact]
    public void No_file_is_no_state()
    {
        var saved = StateFile.Load(FilePath);
        Assert.Empty(saved.Detectors);
        Assert.Empty(saved.Diagnosers);
    }

    public static TheoryData<string, byte[]> Unusable => new()
    {
        { "is not an analytics state file", [1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "has state format 9", [0x54, 0x50, 0x41, 0x53, 9, 0, 0, 0] },
        { "ends early", [0x54, 0x50, 0x41, 0x53, 1, 0, 0, 0, 1, 0, 0, 0] },
        { "cannot hold -1 entries", [0x54, 0x50, 0x41, 0x53, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF] },
        // One entry named "a" that claims 2 GB.
        { "entry a claims 2147483647 bytes", [0x54, 0x50, 0x41, 0x53, 1, 0, 0, 0, 1, 0, 0, 0, 1, (byte)'a', 0xFF, 0xFF, 0xFF, 0x7F] },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void A_file_that_cannot_be_used_is_refused_with_the_reason_before_anything_is_allocated_for_it(string reason, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        File.WriteAllBytes(FilePath, content);
        var failure = Assert.Throws<InvalidDataException>(() => StateFile.Load(FilePath));
        Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
    }
}
