using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging;
using ThermalPlant.Hosting;

namespace ThermalPlant.Control.Tests;

/// <summary>
/// The export of the suite's meters (the control link's counters go through it): a measurement whose tags differ from
/// its instrument's first ones is counted, not dropped, and said once in the log.
/// </summary>
[Collection(Name)]
public sealed class MeterExportTests
{
    // The export's logger and registry are process-wide: nothing else may set the logger while this runs.
    private const string Name = "meter-export";

    [Fact]
    public async Task A_measurement_with_other_tags_is_counted_under_the_first_labels_and_logged_once()
    {
        MeterExport.EnsureStarted();
        var log = new LogCollector<MeterExportTests>();
        MeterExport.UseLogger(log);
        using var meter = new Meter("ThermalPlant.Tests.MeterExport");
        var counter = meter.CreateCounter<long>("thermalplant_test_tag_mismatch_total");

        counter.Add(1, new KeyValuePair<string, object?>("link", "a"));
        counter.Add(2, new KeyValuePair<string, object?>("link", "b"), new KeyValuePair<string, object?>("extra", "x"));
        counter.Add(4);
        counter.Add(8, new KeyValuePair<string, object?>("link", "b"));
        counter.Add(16, new KeyValuePair<string, object?>("other", "y"));

        var exported = await ExportAsync();
        Assert.Contains("thermalplant_test_tag_mismatch_total{link=\"a\"} 1\n", exported, StringComparison.Ordinal);
        Assert.Contains("thermalplant_test_tag_mismatch_total{link=\"b\"} 10\n", exported, StringComparison.Ordinal);
        Assert.Contains("thermalplant_test_tag_mismatch_total{link=\"\"} 20\n", exported, StringComparison.Ordinal);
        var warning = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("thermalplant_test_tag_mismatch_total", warning.Message, StringComparison.Ordinal);
        Assert.Contains("extra,link", warning.Message, StringComparison.Ordinal);
    }

    private static async Task<string> ExportAsync()
    {
        using var stream = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

/// <summary>Runs <see cref="MeterExportTests"/> alone.</summary>
[CollectionDefinition("meter-export", DisableParallelization = true)]
public sealed class MeterExportCollection;
