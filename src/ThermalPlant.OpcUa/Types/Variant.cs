namespace ThermalPlant.OpcUa.Types;

/// <summary>
/// A value of any built-in type, a one-dimensional array of one (a typed .NET array), or a matrix (a flat array
/// plus <see cref="Dimensions"/>, Part 6, 5.2.2.16). Scalars are held as their .NET type: bool, sbyte, byte,
/// short, ushort, int, uint, long, ulong, float, double, string, DateTime, Guid, byte[] (ByteString),
/// XmlElement as string, NodeId, ExpandedNodeId, StatusCode, QualifiedName, LocalizedText, ExtensionObject,
/// DataValue, Variant, DiagnosticInfo.
/// </summary>
/// <param name="Type">The built-in type of the value or of the array's elements.</param>
/// <param name="Value">The value, a typed array, or null.</param>
/// <param name="Dimensions">The dimensions of a matrix; null for scalars and one-dimensional arrays.</param>
public sealed record Variant(BuiltInType Type, object? Value, int[]? Dimensions = null)
{
    /// <summary>The empty Variant.</summary>
    public static Variant Null { get; } = new(BuiltInType.Null, null);

    /// <summary>Whether the value is an array (or matrix).</summary>
    public bool IsArray => (Value is Array && Type != BuiltInType.ByteString) || Value is byte[][];

    /// <summary>A Double scalar.</summary>
    public static Variant From(double value) => new(BuiltInType.Double, value);

    /// <summary>A Boolean scalar.</summary>
    public static Variant From(bool value) => new(BuiltInType.Boolean, value);

    /// <summary>An Int32 scalar.</summary>
    public static Variant From(int value) => new(BuiltInType.Int32, value);

    /// <summary>A UInt32 scalar.</summary>
    public static Variant From(uint value) => new(BuiltInType.UInt32, value);

    /// <summary>A String scalar.</summary>
    public static Variant From(string? value) => new(BuiltInType.String, value);

    /// <summary>A DateTime scalar.</summary>
    public static Variant From(DateTime value) => new(BuiltInType.DateTime, value);

    /// <summary>A Double array.</summary>
    public static Variant From(double[] values) => new(BuiltInType.Double, values);
}
