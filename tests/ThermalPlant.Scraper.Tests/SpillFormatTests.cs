using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Storage.Events;
using ThermalPlant.Storage.Writing;
using ThermalPlant.Testing;
using static ThermalPlant.Scraper.Tests.EventSpillFileTests;

namespace ThermalPlant.Scraper.Tests;

/// <summary>
/// The spill formats on disk, for samples and events alike: <c>SpillFormats/</c> holds a sample and an event spill file
/// (with their committed positions) that the separate SpillFile and EventSpillFile of 1f5cb06 wrote. Today's code
/// replays what they left, and writing the same items the same way gives the same bytes. A file of another format is
/// renamed aside, never deleted.
/// </summary>
public sealed class SpillFormatTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TagKey Upper = new("opc.tcp://plant:4840/", "ns=2;s=Plant.Temperature.Upper", "plant", "temperature_upper");
    private static readonly TagKey Lower = new("opc.tcp://plant:4840/", "ns=2;s=Plant.Temperature.Lower", "plänt", "temperature_lower_ü");

    // As the old build was given them: two appends each, then the first two items committed.
    private static readonly Sample[][] SampleAppends =
    [
        [new(Upper, Start, 1.5, 0), new(Lower, Start.AddMilliseconds(1), -2.25, 0x80000000u), new(Upper, Start.AddSeconds(1), double.NaN, 0x40000000u)],
        [new(Lower, Start.AddSeconds(1).AddTicks(7), 1e300, 0), new(Upper, Start.AddSeconds(2), 0, 0x00A80000u)],
    ];

    private static readonly StoredEvent[][] EventAppends = [[Event(0), Event(1), Event(2)], [Event(3), Event(4), Event(5)]];

    private readonly TempDirectory _old = new("thermalplant-spill-format-old-");
    private readonly TempDirectory _new = new("thermalplant-spill-format-new-");

    public void Dispose()
    {
        _old.Dispose();
        _new.Dispose();
    }

    [Fact]
    public void A_sample_spill_file_written_by_the_previous_build_is_replayed_from_its_committed_position_and_written_the_same() =>
        ReplayedAndWrittenTheSame(SampleSpillCodec.Open, "spill", SampleAppends, EqualityComparer<Sample>.Default);

    [Fact]
    public void An_event_spill_file_written_by_the_previous_build_is_replayed_from_its_committed_position_and_written_the_same() =>
        ReplayedAndWrittenTheSame(EventSpillCodec.Open, "events", EventAppends, Same);

    [Fact]
    public void A_sample_spill_file_of_another_format_is_kept_aside_not_deleted() =>
        KeptAside(SampleSpillCodec.Open, "spill", "TPSPILL2"u8, new Sample(Upper, Start, 1, 0));

    [Fact]
    public void An_event_spill_file_of_another_format_is_kept_aside_not_deleted() =>
        KeptAside(EventSpillCodec.Open, "events", "TPEVENT2"u8, Event(1));

    private void ReplayedAndWrittenTheSame<T>(Func<string, SpillFile<T>> open, string name, T[][] appends, IEqualityComparer<T> same)
    {
        foreach (var extension in new[] { ".bin", ".pos" })
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "SpillFormats", name + extension), Path.Combine(_old.Path, name + extension));
        }
        var all = appends.SelectMany(a => a).ToArray();
        using (var old = open(_old.Path))
        {
            Assert.Null(old.SetAside);
            Assert.Equal(all.Length - 2, old.Pending);
            var rest = new List<T>();
            old.Commit(old.Read(rest, 100), rest.Count);
            Assert.Equal(all.Skip(2), rest, same);
            Assert.False(old.HasPending);
        }
        Assert.False(File.Exists(Path.Combine(_old.Path, name + ".bin")), "the replayed file was not deleted");

        using (var written = open(_new.Path))
        {
            foreach (var append in appends) written.Append(append);
            var first = new List<T>();
            written.Commit(written.Read(first, 2), first.Count);
        }
        foreach (var extension in new[] { ".bin", ".pos" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "SpillFormats", name + extension)), File.ReadAllBytes(Path.Combine(_new.Path, name + extension)));
        }
    }

    private void KeptAside<T>(Func<string, SpillFile<T>> open, string name, ReadOnlySpan<byte> otherMagic, T item)
    {
        // What a build with another format would leave: its own magic, its records, its committed position.
        byte[] other = [.. otherMagic, 9, 0, 0, 0, 1, 2, 3];
        var path = Path.Combine(_old.Path, name + ".bin");
        File.WriteAllBytes(path, other);
        File.WriteAllBytes(Path.Combine(_old.Path, name + ".pos"), BitConverter.GetBytes(8L));
        using (var spill = open(_old.Path))
        {
            Assert.False(spill.HasPending);
            Assert.Equal(path + ".unreadable", spill.SetAside);
        }
        Assert.Equal(other, File.ReadAllBytes(path + ".unreadable"));
        Assert.True(File.Exists(path + ".unreadable.pos"));
        Assert.False(File.Exists(path));

        // A second one does not replace the first, and a file in this build's format is written and replayed beside them.
        File.WriteAllBytes(path, other);
        using (var again = open(_old.Path))
        {
            Assert.Equal(path + ".unreadable.1", again.SetAside);
            again.Append([item]);
        }
        Assert.Equal(other, File.ReadAllBytes(path + ".unreadable"));
        using var current = open(_old.Path);
        Assert.Null(current.SetAside);
        Assert.Equal(1, current.Pending);
    }
}
