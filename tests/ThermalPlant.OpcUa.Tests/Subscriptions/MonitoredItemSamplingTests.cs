using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Server.Subscriptions;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>A monitored item's sampling of pushed values, driven by explicit times (no clocks, no network).</summary>
public sealed class MonitoredItemSamplingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void One_late_push_does_not_lock_values_pushed_on_the_sampling_period_behind_the_publishing_cycles()
    {
        // Sampling at 100 ms, values pushed every 100 ms (a poll), publishing cycles every 20 ms at 5, 25, 45 ... ms.
        // The push due at 200 ms comes 30 ms late, so the one at 300 ms arrives 70 ms after it and is held for a cycle.
        // Counting the next interval from that cycle (325 ms) held every later push for 25 ms too, for good.
        var item = Item(TimeSpan.FromMilliseconds(100));
        item.QueueCurrent(Value(0), Start);
        using var taken = new BinaryEncoder();
        item.Drain(taken, int.MaxValue);
        var immediate = new List<int>();
        var nextCycle = 5;
        for (var k = 1; k <= 12; k++)
        {
            var pushAt = k == 2 ? 230 : k * 100;
            for (; nextCycle < pushAt; nextCycle += 20) item.SampleHeld(At(nextCycle));
            item.Drain(taken, int.MaxValue);
            Push(item, k, pushAt);
            if (item.Drain(taken, int.MaxValue) == 1) immediate.Add(k);
        }

        // Pushes 3 and 4 wait for a cycle while the item catches up; every push after them is sampled as it arrives.
        Assert.Equal([1, 2, 5, 6, 7, 8, 9, 10, 11, 12], immediate);
    }

    [Fact]
    public void Values_pushed_faster_than_the_sampling_interval_are_sampled_at_most_once_per_seven_eighths_of_it()
    {
        var item = Item(TimeSpan.FromMilliseconds(100));
        item.QueueCurrent(Value(0), Start);
        var samples = new List<int>();
        using var taken = new BinaryEncoder();
        for (var t = 1; t <= 2000; t++)
        {
            // A value every 10 ms, a publishing cycle every 20 ms (at 5, 25, 45 ... ms).
            if (t % 10 == 0) Push(item, t, t);
            if (t % 20 == 5) item.SampleHeld(At(t));
            if (item.Drain(taken, int.MaxValue) > 0) samples.Add(t);
        }

        // Samples count from their value's arrival or their due time, 87.5 ms apart at the least; cycles add up to 20 ms.
        Assert.InRange(samples.Count, 2000 / 108, 1 + (int)(2000 / 87.5));
        Assert.All(samples.Zip(samples.Skip(1)), pair => Assert.True(pair.Second - pair.First >= 80, $"samples at {pair.First} and {pair.Second} ms"));
    }

    [Fact]
    public void A_held_value_is_sampled_as_the_variable_holds_it_when_its_interval_passes()
    {
        var item = Item(TimeSpan.FromMilliseconds(100));
        Push(item, 1, 0);
        using var taken = new BinaryEncoder();
        Assert.Equal(1, item.Drain(taken, int.MaxValue));
        // Two values within the interval: both held, neither queued; the item is still active for the next cycle.
        Push(item, 2, 10);
        Push(item, 3, 20);
        Assert.Equal(0, item.Drain(taken, int.MaxValue));
        Assert.True(item.IsActive);
        Assert.False(item.SampleHeld(At(50)));

        Assert.True(item.SampleHeld(At(100)));
        taken.Clear();
        Assert.Equal(1, item.Drain(taken, int.MaxValue));
        var reader = new BinaryDecoder(taken.Written);
        Assert.Equal(item.ClientHandle, reader.ReadUInt32());
        var sampled = reader.ReadDataValue();
        Assert.Equal(3.0, sampled.Value.Value);
        Assert.Equal(At(3).UtcDateTime, sampled.SourceTimestamp);
        Assert.False(item.IsActive);
    }

    // As a variable pushes to its observers: the value is set first, then offered.
    private static void Push(MonitoredItem item, int k, int at)
    {
        var value = Value(k);
        ((UaVariable)item.Node).SetValue(value);
        item.Offer(value, At(at));
    }

    private static MonitoredItem Item(TimeSpan samplingInterval)
    {
        var node = new UaVariable(NodeId.Of("Plant.Value", 2), new QualifiedName(2, "Value"), "Value", NodeId.Of(DataTypeIds.Double));
        return new MonitoredItem(1, node, new ReadValueId { NodeId = node.NodeId, AttributeId = 13 }, TimestampsToReturn.Both)
        {
            Mode = MonitoringMode.Reporting,
            SamplingInterval = samplingInterval,
            QueueSize = 100,
        };
    }

    private static DataValue Value(int k) => new() { Value = Variant.From((double)k), SourceTimestamp = At(k).UtcDateTime };

    private static DateTimeOffset At(int milliseconds) => Start.AddMilliseconds(milliseconds);
}
