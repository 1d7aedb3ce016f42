using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Storage.Tests;

/// <summary>Deterministic sample batches for the storage tests.</summary>
internal static class Samples
{
    public const string Endpoint = "opc.tcp://127.0.0.1:4840/freeopcua/server/";

    public static readonly TagKey Upper = new(Endpoint, "ns=2;s=Plant.Temperature.Upper", "temperature", "upper");
    public static readonly TagKey Lower = new(Endpoint, "ns=2;s=Plant.Temperature.Lower", "temperature", "lower");
    public static readonly TagKey Rpm = new(Endpoint, "ns=2;s=Plant.RPM.MainShaft", "rpm", "mainshaft");

    /// <summary><paramref name="count"/> samples of each tag, <paramref name="step"/> apart, ending at <paramref name="end"/>.</summary>
    public static Sample[] Series(DateTime end, int count, TimeSpan step, params TagKey[] tags)
    {
        var random = new Random(42);
        var samples = new Sample[count * tags.Length];
        for (var i = 0; i < count; i++)
        {
            var time = end - (step * (count - 1 - i));
            for (var t = 0; t < tags.Length; t++)
            {
                samples[(i * tags.Length) + t] = new Sample(tags[t], time, Math.Round(100 + (random.NextDouble() * 50), 3), 0);
            }
        }
        return samples;
    }
}
