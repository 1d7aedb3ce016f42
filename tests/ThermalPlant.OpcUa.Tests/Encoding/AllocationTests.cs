using System.Runtime.CompilerServices;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Encoding;

/// <summary>Decoding a ReadResponse allocates the result array and a fixed amount per message, nothing per value.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Decoding_a_read_response_allocates_only_the_result_array_per_value()
    {
        var small = Encoded(10);
        var large = Encoded(1000);
        Decode(small);
        Decode(large);

        var smallBytes = Allocated(small);
        var largeBytes = Allocated(large);

        // The larger message costs exactly 990 more array slots; a per-value object would add its size 990 times.
        Assert.Equal(990L * Unsafe.SizeOf<DataValue>(), largeBytes - smallBytes);
    }

    [Fact]
    public void Decoded_scalars_come_back_equal()
    {
        var results = Decode(Encoded(3));
        Assert.Equal([Variant.From(Math.Sin(0)), Variant.From(Math.Sin(1)), Variant.From(Math.Sin(2))], results.Select(r => r.Value));
    }

    private static long Allocated(byte[] message)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Decode(message);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static DataValue[] Decode(byte[] message)
    {
        var decoder = new BinaryDecoder(message);
        return ReadResponse.Decode(ref decoder).Results!;
    }

    private static byte[] Encoded(int count)
    {
        var now = new DateTime(2026, 11, 30, 9, 0, 0, DateTimeKind.Utc);
        var results = new DataValue[count];
        for (var i = 0; i < count; i++)
        {
            results[i] = new DataValue { Value = Variant.From(Math.Sin(i)), SourceTimestamp = now.AddMilliseconds(i), ServerTimestamp = now };
        }
        using var encoder = new BinaryEncoder();
        new ReadResponse { ResponseHeader = new ResponseHeader { Timestamp = now, RequestHandle = 7 }, Results = results }.Encode(encoder);
        return encoder.Written.ToArray();
    }
}
