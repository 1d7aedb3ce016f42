using System.Buffers;
using System.Buffers.Binary;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Nats.Tests;

public sealed class SampleBatchCodecTests
{
    private const string Endpoint = "opc.tcp://plant:4840/";
    private static readonly TagKey Upper = new(Endpoint, "ns=2;s=Plant.Temperature.Upper", "temperature", "upper");
    private static readonly TagKey Lower = new(Endpoint, "ns=2;s=Plant.Temperature.Lower", "temperature", "lower");

    [Fact]
    public void A_batch_decodes_to_the_same_samples_in_order_with_nan_extremes_and_backwards_times()
    {
        var t = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc).AddTicks(1234567);
        Sample[] samples =
        [
            new(Upper, t, 812.25, 0),
            new(Lower, t, double.NaN, 0x80000000),
            new(Upper, t.AddSeconds(1), double.MaxValue, 0x40000000),
            new(Lower, t.AddSeconds(-3600), -0.0, uint.MaxValue),
            new(Upper, t.AddDays(-365), double.NegativeInfinity, 1),
        ];
        var decoded = SampleBatchCodec.Decode(Encode(samples));
        Assert.Equal(Endpoint, decoded.Endpoint);
        Assert.Equal(samples.Length, decoded.Samples.Length);
        for (var i = 0; i < samples.Length; i++)
        {
            Assert.Equal(samples[i].Tag, decoded.Samples[i].Tag);
            Assert.Equal(samples[i].Tag.SensorName, decoded.Samples[i].Tag.SensorName);
            Assert.Equal(samples[i].Tag.TagName, decoded.Samples[i].Tag.TagName);
            Assert.Equal(samples[i].Timestamp, decoded.Samples[i].Timestamp);
            Assert.Equal(DateTimeKind.Utc, decoded.Samples[i].Timestamp.Kind);
            Assert.Equal(BitConverter.DoubleToInt64Bits(samples[i].Value), BitConverter.DoubleToInt64Bits(decoded.Samples[i].Value));
            Assert.Equal(samples[i].StatusCode, decoded.Samples[i].StatusCode);
        }
    }

    [Fact]
    public void The_message_id_follows_the_content_only()
    {
        var t = DateTime.UtcNow;
        Sample[] a = [new(Upper, t, 1, 0), new(Lower, t, 2, 0)];
        Sample[] same = [new(new TagKey(Endpoint, Upper.NodeId, "temperature", "upper"), t, 1, 0), new(Lower, t, 2, 0)];
        Sample[] other = [new(Upper, t, 1, 0), new(Lower, t, 2.000001, 0)];
        var id = SampleBatchCodec.MessageId(Encode(a));
        Assert.Equal(32, id.Length);
        Assert.Equal(id, SampleBatchCodec.MessageId(Encode(same)));
        Assert.NotEqual(id, SampleBatchCodec.MessageId(Encode(other)));
    }

    [Fact]
    public void A_repeated_tag_costs_its_name_once_and_a_sample_at_most_20_bytes()
    {
        var t = DateTime.UtcNow;
        var samples = Enumerable.Range(0, 1000).Select(i => new Sample(Upper, t.AddSeconds(i), i, 0)).ToArray();
        var bytes = Encode(samples);
        Assert.True(bytes.Length < 1000 * 20, $"{bytes.Length} bytes");
    }

    [Fact]
    public void Names_that_share_a_beginning_cost_only_their_ends()
    {
        var t = DateTime.UtcNow;
        var tags = Enumerable.Range(0, 1000).Select(i => new TagKey(Endpoint, $"ns=2;s=Plant.Audio.Spectrum.Band_{i:D4}", "audio", $"spectrum.band_{i:D4}")).ToArray();
        var samples = tags.Select(k => new Sample(k, t, 1, 0)).ToArray();
        var bytes = Encode(samples);
        // One sample per tag, as at 1 Hz: about 11 bytes of sample and 10 of front-coded names each.
        Assert.True(bytes.Length < 1000 * 24, $"{bytes.Length} bytes");
        var decoded = SampleBatchCodec.Decode(bytes);
        Assert.Equal(tags.Select(k => (k.NodeId, k.TagName)), decoded.Samples.Select(s => (s.Tag.NodeId, s.Tag.TagName)));
        Assert.All(decoded.Samples, s => Assert.Equal("audio", s.Tag.SensorName));
    }

    [Fact]
    public void A_name_claiming_more_shared_characters_than_the_previous_has_is_refused()
    {
        // magic, endpoint "e", sensor "s", 1 tag whose node id shares 5 characters with the empty previous one.
        byte[] bytes = [.. "TPB1"u8, 1, (byte)'e', 1, (byte)'s', 1, 5, 1, (byte)'n', 0, 1, (byte)'t', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Contains("shares 5", Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode(bytes)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reader_keeps_one_tag_object_per_tag_and_takes_new_names()
    {
        var tags = new Dictionary<(string, string), TagKey>();
        var first = SampleBatchCodec.Decode(Encode([new(Upper, DateTime.UtcNow, 1, 0)]), tags);
        var second = SampleBatchCodec.Decode(Encode([new(Upper, DateTime.UtcNow, 2, 0)]), tags);
        Assert.Same(first.Samples[0].Tag, second.Samples[0].Tag);
        var renamed = new TagKey(Endpoint, Upper.NodeId, "furnace", "top");
        var third = SampleBatchCodec.Decode(Encode([new(renamed, DateTime.UtcNow, 3, 0)]), tags);
        Assert.Equal("furnace", third.Samples[0].Tag.SensorName);
    }

    [Fact]
    public void Encoding_refuses_a_sample_of_another_endpoint_or_sensor_and_an_empty_batch()
    {
        var other = new TagKey("opc.tcp://other:4840/", "ns=1;i=5", "a", "b");
        Assert.Throws<ArgumentException>(() => Encode([new(other, DateTime.UtcNow, 1, 0)]));
        var otherSensor = new TagKey(Endpoint, "ns=2;s=Plant.RPM.MainShaft", "rpm", "mainshaft");
        Assert.Throws<ArgumentException>(() => Encode([new(Upper, DateTime.UtcNow, 1, 0), new(otherSensor, DateTime.UtcNow, 1, 0)]));
        Assert.Throws<ArgumentException>(() => Encode([]));
    }

    [Fact]
    public void Every_truncation_of_a_batch_is_refused_as_invalid_data()
    {
        var bytes = Encode([new(Upper, DateTime.UtcNow, 1, 0), new(Lower, DateTime.UtcNow, 2, 3)]);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode(bytes.AsSpan(0, length)));
        }
        Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode([.. bytes, 0]));
    }

    [Fact]
    public void Counts_beyond_the_bounds_or_the_bytes_are_refused_before_allocating()
    {
        // magic, endpoint "e", sensor "s", then a tag count of 2^31: no array of that size is made.
        byte[] hugeTags = [.. "TPB1"u8, 1, (byte)'e', 1, (byte)'s', 0x80, 0x80, 0x80, 0x80, 0x08];
        Assert.Contains("more than", Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode(hugeTags)).Message, StringComparison.Ordinal);
        // 50,000 tags claimed in a few bytes.
        byte[] tooFew = [.. "TPB1"u8, 1, (byte)'e', 1, (byte)'s', 0xD0, 0x86, 0x03, 0, 1, (byte)'n', 0, 0];
        Assert.Contains("cannot fit", Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode(tooFew)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode("TPB2"u8));
        // A varint that never ends.
        byte[] endless = [.. "TPB1"u8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode(endless));
    }

    [Fact]
    public void A_sample_naming_a_tag_that_is_not_there_or_a_time_out_of_range_is_refused()
    {
        var bytes = Encode([new(Upper, DateTime.UtcNow, 1, 0)]);
        // The sample's tag index is the byte after the 8-byte start time, at the end minus (index 1 + delta 1 + value 8 + status 1).
        var badIndex = bytes.ToArray();
        badIndex[^11] = 5;
        Assert.Contains("names tag 5", Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode(badIndex)).Message, StringComparison.Ordinal);
        var badTime = bytes.ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(badTime.AsSpan(badTime.Length - 19), long.MaxValue);
        Assert.Throws<InvalidDataException>(() => SampleBatchCodec.Decode(badTime));
    }

    private static byte[] Encode(Sample[] samples)
    {
        var buffer = new ArrayBufferWriter<byte>();
        SampleBatchCodec.Encode(Endpoint, samples, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
