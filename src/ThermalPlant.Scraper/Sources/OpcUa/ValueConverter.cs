using System.Numerics;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Storage.Writing;

namespace ThermalPlant.Scraper.Sources.OpcUa;

/// <summary>Turns OPC UA values into samples: numbers and booleans (1/0), arrays element by element.</summary>
internal static class ValueConverter
{
    /// <summary>The Overflow info bits (InfoType DataValue, Overflow): the server's queue dropped values before this one.</summary>
    private const uint OverflowMask = 0xC80;
    private const uint OverflowBits = 0x480;

    /// <summary>Whether the server dropped values of this item before <paramref name="status"/>'s value.</summary>
    public static bool Overflowed(StatusCode status) => (status.Code & OverflowMask) == OverflowBits;

    /// <summary>
    /// Whether <paramref name="value"/> is "no value yet" (a server that just started): not a measurement, and its
    /// timestamp is invented, so it is neither stored nor taken as the point a back-fill starts from.
    /// </summary>
    public static bool IsNoValueYet(DataValue value) => value.Value.IsNull && value.Status.Code == ThermalPlant.OpcUa.Generated.StatusCodes.BadWaitingForInitialData;

    /// <summary>Whether <paramref name="value"/> can be stored: a number, a boolean, an array of them, or no value.</summary>
    public static bool IsStorable(Variant value) =>
        value.IsNull || ToDouble(value).HasValue || (value.Value is Array array && array.Rank == 1 && IsNumericElement(array.GetType().GetElementType()));

    private static readonly DateTime Earliest = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// The source timestamp (else the server's, else <paramref name="now"/>), as UTC. A timestamp before 2000 or more
    /// than a day ahead counts as missing: OPC UA's "no time" (1601), or a PLC's unset clock, would otherwise make the
    /// storage create partitions for centuries.
    /// </summary>
    public static DateTime Timestamp(DataValue value, DateTime now)
    {
        var latest = now.AddDays(1);
        DateTime? Plausible(DateTime? t) => t is { } s && Utc(s) is var u && u >= Earliest && u <= latest ? u : null;
        return Plausible(value.SourceTimestamp) ?? Plausible(value.ServerTimestamp) ?? now;
    }

    private static DateTime Utc(DateTime stamp) => stamp.Kind == DateTimeKind.Utc ? stamp : DateTime.SpecifyKind(stamp, DateTimeKind.Utc);

    /// <summary>
    /// Adds the samples of <paramref name="value"/> to <paramref name="into"/>; returns false (adding nothing) when
    /// the value is of a type that is not stored (a string, a structure). A value missing under a Bad status is
    /// stored as NaN (NULL) with the status, so the outage shows in the data.
    /// </summary>
    public static bool AddSamples(ScrapedVariable variable, DataValue value, DateTime timestamp, List<Sample> into)
    {
        // The overflow bits say something about the transport, not the value; the value's quality is the rest.
        var status = Overflowed(value.Status) ? value.Status.Code & ~OverflowBits : value.Status.Code;
        if (value.Value.IsNull)
        {
            into.Add(new Sample(variable.Tag, timestamp, double.NaN, status));
            return true;
        }
        if (ToDouble(value.Value) is { } scalar)
        {
            into.Add(new Sample(variable.Tag, timestamp, scalar, status));
            return true;
        }
        if (value.Value.Type == BuiltInType.ByteString) return false;
        if (value.Value.Value is not Array array) return false;
        // Typed per element type, so that no element is boxed on the way to its sample. The element type is compared
        // exactly: the runtime lets a uint[] pass as an int[] (and byte[] as sbyte[]), which would flip signs.
        var type = array.GetType();
        if (type == typeof(double[])) AddNumbers(variable, (double[])array, timestamp, status, into);
        else if (type == typeof(float[])) AddNumbers(variable, (float[])array, timestamp, status, into);
        else if (type == typeof(int[])) AddNumbers(variable, (int[])array, timestamp, status, into);
        else if (type == typeof(uint[])) AddNumbers(variable, (uint[])array, timestamp, status, into);
        else if (type == typeof(short[])) AddNumbers(variable, (short[])array, timestamp, status, into);
        else if (type == typeof(ushort[])) AddNumbers(variable, (ushort[])array, timestamp, status, into);
        else if (type == typeof(long[])) AddNumbers(variable, (long[])array, timestamp, status, into);
        else if (type == typeof(ulong[])) AddNumbers(variable, (ulong[])array, timestamp, status, into);
        else if (type == typeof(byte[])) AddNumbers(variable, (byte[])array, timestamp, status, into);
        else if (type == typeof(sbyte[])) AddNumbers(variable, (sbyte[])array, timestamp, status, into);
        else if (type == typeof(bool[])) AddBooleans(variable, (bool[])array, timestamp, status, into);
        else return false;
        return true;
    }

    private static void AddBooleans(ScrapedVariable variable, bool[] values, DateTime timestamp, uint status, List<Sample> into)
    {
        for (var i = 0; i < values.Length; i++) into.Add(new Sample(variable.Element(i), timestamp, values[i] ? 1 : 0, status));
    }

    private static void AddNumbers<T>(ScrapedVariable variable, T[] values, DateTime timestamp, uint status, List<Sample> into)
        where T : INumberBase<T>
    {
        for (var i = 0; i < values.Length; i++) into.Add(new Sample(variable.Element(i), timestamp, double.CreateTruncating(values[i]), status));
    }

    private static bool IsNumericElement(Type? type) =>
        type == typeof(double) || type == typeof(float) || type == typeof(bool) || type == typeof(int) || type == typeof(uint)
        || type == typeof(short) || type == typeof(ushort) || type == typeof(long) || type == typeof(ulong) || type == typeof(byte) || type == typeof(sbyte);

    // A numeric or Boolean scalar, read without boxing.
    private static double? ToDouble(Variant value) =>
        value.TryGetNumber(out var number) ? number : value.TryGetBoolean(out var flag) ? (flag ? 1 : 0) : null;
}
