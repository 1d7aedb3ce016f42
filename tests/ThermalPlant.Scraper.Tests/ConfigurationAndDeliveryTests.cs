using Microsoft.Extensions.DependencyInjection;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Storage.Events;
using ThermalPlant.Storage.Writing;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>Configuration errors that name their key, and delivery: the spill file on its own, and samples the database refuses.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ConfigurationAndDeliveryTests(PostgresFixture postgres) : IDisposable
{
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Invalid_configuration_stops_the_start_with_messages_naming_the_full_keys()
    {
        var app = ScraperHost.Create(
        [
            "--urls=http://127.0.0.1:0",
            "--Scraper:Database:ConnectionString=",
            "--Scraper:OpcUa:Endpoints:0:Url=http://not-opc",
            "--Scraper:OpcUa:Endpoints:0:MaxDepth=0",
            "--Scraper:OpcUa:Endpoints:0:Nodes:0:NodeId=Methanation.CH4Flow",
            "--Scraper:OpcUa:Endpoints:0:Nodes:0:SensorName=methanation",
            "--Scraper:Modbus:Devices:0:Name=",
            "--Scraper:Storage:QueueCapacity=0",
        ]);
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync());
        var messages = string.Join(Environment.NewLine, failure.Failures);
        Assert.Contains("Scraper:Database:ConnectionString must be set", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:OpcUa:Endpoints:0:Url must be an opc.tcp:// URL", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:OpcUa:Endpoints:0:MaxDepth must be between", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:OpcUa:Endpoints:0:Nodes:0:NodeId is not a node id", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:OpcUa:Endpoints:0:Nodes:0:TagName must be set", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:Modbus:Devices:0:Name must name the device", messages, StringComparison.Ordinal);
        Assert.Contains("Scraper:Storage:QueueCapacity must be between", messages, StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    [Fact]
    public void A_torn_record_at_the_end_of_the_spill_file_is_cut_and_the_rest_replayed_in_order()
    {
        var tag = new TagKey("opc.tcp://a/", "ns=2;s=X", "x", "y");
        var start = new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc);
        using (var spill = SampleSpillCodec.Open(_data.Path))
        {
            spill.Append([.. Enumerable.Range(0, 10).Select(i => new Sample(tag, start.AddSeconds(i), i, 0))]);
            var first = new List<Sample>();
            spill.Commit(spill.Read(first, 4), first.Count);
        }
        // A kill in the middle of an append leaves part of a record.
        using (var file = new FileStream(Path.Combine(_data.Path, "spill.bin"), FileMode.Append))
        {
            file.Write([(byte)'S', 0, 0, 0]);
        }
        using var recovered = SampleSpillCodec.Open(_data.Path);
        Assert.Equal(6, recovered.Pending);
        var rest = new List<Sample>();
        recovered.Commit(recovered.Read(rest, 100), rest.Count);
        Assert.Equal([4.0, 5, 6, 7, 8, 9], rest.Select(s => s.Value));
        Assert.Equal(tag, rest[0].Tag);
        Assert.False(File.Exists(Path.Combine(_data.Path, "spill.bin")));
    }

    [Fact]
    public async Task A_sample_the_database_refuses_is_set_aside_and_the_rest_is_stored()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var plant = await PlantServer.StartAsync();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal) { ["OpcUa:Endpoints:0:Url"] = plant.Url });
        var rejectedBefore = ScraperMetrics.Rejected.Value;
        var good = new TagKey("test://", "good", "test", "good");
        var bad = new TagKey("test://", "bad", "test", "nul\0inside");
        var start = DateTime.UtcNow.AddMinutes(-1);
        scraper.Queue.Add([.. Enumerable.Range(0, 100).Select(i => new Sample(i == 37 ? bad : good, start.AddMilliseconds(i), i, 0))]);

        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM sensor_data WHERE tagname = 'good'") == 99, TimeSpan.FromSeconds(30),
            () => Task.FromResult("the good samples behind the refused one were not stored"));
        Assert.Equal(rejectedBefore + 1, ScraperMetrics.Rejected.Value);
        Assert.True(new FileInfo(Path.Combine(_data.Path, "rejected", "spill.bin")).Length > 0);
    }

    [Fact]
    public async Task An_event_the_database_refuses_is_dropped_and_the_rest_of_its_batch_is_stored()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal));
        var rejectedBefore = EventMetrics.Rejected.Value;
        var writtenBefore = EventMetrics.Written.Value;
        var start = DateTime.UtcNow.AddMinutes(-1);
        // A NUL inside a text is refused by PostgreSQL as data (SQL state 22021), which no retry fixes.
        scraper.Services.GetRequiredService<EventQueue>().Add([.. Enumerable.Range(0, 100).Select(i => new StoredEvent(
            "test://", [(byte)i], start.AddMilliseconds(i), start, "i=2041", null, i == 37 ? "nul\0inside" : "source", 500, null, null, null, null, null, null, null))]);

        await Stored.EventuallyAsync(async () => await Stored.CountAsync(database, "SELECT count(*) FROM events WHERE source_name = 'source'") == 99, TimeSpan.FromSeconds(30),
            () => Task.FromResult("the good events around the refused one were not stored"));
        Assert.Equal(rejectedBefore + 1, EventMetrics.Rejected.Value);
        await Stored.EventuallyAsync(() => Task.FromResult(EventMetrics.Written.Value == writtenBefore + 100), TimeSpan.FromSeconds(30),
            () => Task.FromResult($"{EventMetrics.Written.Value - writtenBefore} events counted written, expected the batch of 100"));
    }
}
