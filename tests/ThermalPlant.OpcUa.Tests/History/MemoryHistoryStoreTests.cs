using ThermalPlant.OpcUa.Server.History;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.History;

/// <summary>The in-memory ring: ordered by source time, bounded by capacity, growing to it as values arrive.</summary>
public sealed class MemoryHistoryStoreTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 6, 0, 0, DateTimeKind.Utc);
    private static readonly NodeId Node = NodeId.Of("Plant.Flow", 2);

    [Fact]
    public void Keeps_the_newest_values_up_to_its_capacity_in_order()
    {
        var store = new MemoryHistoryStore(300, TimeSpan.FromDays(1));
        for (var i = 0; i < 1000; i++) store.Append(Node, Sample(i));

        Assert.Equal(300, store.Count(Node));
        Assert.Equal(Enumerable.Range(700, 300).Select(i => (double)i), Read(store));
    }

    [Fact]
    public void Values_arriving_out_of_order_are_sorted_across_growth()
    {
        var store = new MemoryHistoryStore(500, TimeSpan.FromDays(1));
        // Odd seconds first, then even ones, so every even value lands between kept ones while the ring grows.
        for (var i = 1; i < 400; i += 2) store.Append(Node, Sample(i));
        for (var i = 0; i < 400; i += 2) store.Append(Node, Sample(i));

        Assert.Equal(400, store.Count(Node));
        Assert.Equal(Enumerable.Range(0, 400).Select(i => (double)i), Read(store));
        Assert.Equal(Variant.From(199.0), store.AtOrBefore(Node, T0.AddSeconds(199.5))!.Value.Value);
    }

    private static DataValue Sample(int second) => new() { Value = Variant.From((double)second), SourceTimestamp = T0.AddSeconds(second) };

    private static IEnumerable<double> Read(MemoryHistoryStore store)
    {
        var values = new List<DataValue>();
        store.ReadRaw(Node, DateTime.MinValue, DateTime.MaxValue, 0, int.MaxValue, values);
        return values.Select(v => v.Value.TryGetDouble(out var d) ? d : double.NaN);
    }
}
