using System.Globalization;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>A variable's value written in place (no object per value) and read without a lock.</summary>
public sealed class VariableValueTests
{
    private static readonly DateTime Start = new(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task A_value_read_while_two_writers_set_it_is_always_one_whole_value()
    {
        var variable = new UaVariable(NodeId.Of("Plant.Value", 2), new QualifiedName(2, "Value"), "Value", NodeId.Of(DataTypeIds.Double));
        variable.SetValue(Value(0));
        const int PerWriter = 200_000;
        using var done = new CancellationTokenSource();
        var reads = 0L;
        var torn = new List<string>();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                var value = variable.Value;
                reads++;
                reading.TrySetResult();
                // Every field of value k says k: the value (a string held by reference when k is even, an inline double
                // when odd), the status and both timestamps.
                var k = Number(value);
                if (value.SourceTimestamp != Start.AddTicks(k) || value.ServerTimestamp != Start.AddTicks(2 * k) || value.Status.Code != (uint)(k % 2 == 0 ? 0 : 0x40000000))
                {
                    torn.Add($"value {k}: source {value.SourceTimestamp:O}, server {value.ServerTimestamp:O}, status {value.Status.Code:X8}");
                    return;
                }
            }
        });
        // One writer sets the even values, the other the odd ones, both at full speed, once the reader reads.
        await reading.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++) variable.SetValue(Value((2 * i) + w + 1));
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(2));
        done.Cancel();
        await reader.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Empty(torn);
        Assert.True(reads > 1);
        // The last value set by either writer is the one kept.
        var last = Number(variable.Value);
        Assert.Contains(last, new long[] { 2 * PerWriter, (2 * PerWriter) - 1 });
    }

    [Fact]
    public void Setting_a_scalar_value_allocates_nothing()
    {
        var variable = new UaVariable(NodeId.Of("Plant.Value", 2), new QualifiedName(2, "Value"), "Value", NodeId.Of(DataTypeIds.Double));
        var value = new DataValue { Value = Variant.From(1.5), SourceTimestamp = Start, ServerTimestamp = Start };
        variable.SetValue(value);
        _ = variable.Value;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) variable.SetValue(value);
        var read = variable.Value;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(value, read);
    }

    private static long Number(DataValue value) => value.Value.Value switch
    {
        string text => long.Parse(text, CultureInfo.InvariantCulture),
        double number => (long)number,
        var other => throw new InvalidOperationException($"not a value of the test: {other}"),
    };

    private static DataValue Value(long k) => new()
    {
        Value = k % 2 == 0 ? Variant.From(k.ToString(CultureInfo.InvariantCulture)) : Variant.From((double)k),
        Status = new StatusCode(k % 2 == 0 ? 0 : 0x40000000u),
        SourceTimestamp = Start.AddTicks(k),
        ServerTimestamp = Start.AddTicks(2 * k),
    };
}
