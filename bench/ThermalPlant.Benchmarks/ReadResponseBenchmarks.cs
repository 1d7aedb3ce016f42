using BenchmarkDotNet.Attributes;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Benchmarks;

/// <summary>
/// Binary encoding of a ReadResponse of <see cref="Count"/> Double DataValues with source and server timestamps,
/// as a server answers a client polling a plant. Encode and decode apart show which side allocates; the memory
/// diagnoser's bytes at 10, 100 and 1,000 values give the allocation per value (the slope) and per message.
/// </summary>
[MemoryDiagnoser]
public class ReadResponseBenchmarks
{
    private ReadResponse _response = null!;
    private byte[] _encoded = null!;

    /// <summary>DataValues in the response.</summary>
    [Params(10, 100, 1000)]
    public int Count { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var now = new DateTime(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);
        var results = new DataValue[Count];
        for (var i = 0; i < Count; i++)
        {
            results[i] = new DataValue { Value = Variant.From(Math.Sin(i)), SourceTimestamp = now.AddMilliseconds(i), ServerTimestamp = now };
        }
        _response = new ReadResponse { ResponseHeader = new ResponseHeader { Timestamp = now, RequestHandle = 7 }, Results = results };
        using var encoder = new BinaryEncoder();
        _response.Encode(encoder);
        _encoded = encoder.Written.ToArray();
    }

    [Benchmark]
    public int Encode()
    {
        using var encoder = new BinaryEncoder();
        _response.Encode(encoder);
        return encoder.Length;
    }

    [Benchmark]
    public int Decode()
    {
        var decoder = new BinaryDecoder(_encoded);
        return ReadResponse.Decode(ref decoder).Results!.Length;
    }

    [Benchmark]
    public int EncodeAndDecode()
    {
        using var encoder = new BinaryEncoder();
        _response.Encode(encoder);
        var decoder = new BinaryDecoder(encoder.Written);
        return ReadResponse.Decode(ref decoder).Results!.Length;
    }
}
