using System.Globalization;
using System.Runtime.CompilerServices;

namespace ThermalPlant.OpcUa.Types;

/// <summary>
/// A value of any built-in type, a one-dimensional array of one (a typed .NET array), or a matrix (a flat array
/// plus <see cref="Dimensions"/>, Part 6, 5.2.2.16). A value type: the fixed-size scalars (Boolean, the integers,
/// Float, Double, DateTime, StatusCode) are stored inline, so a decoded scalar allocates nothing; strings, byte
/// strings, the structured built-ins, Guid and arrays are held by reference. <see cref="Value"/> gives the value as
/// its .NET type (boxing an inline scalar, so hot paths use the typed accessors instead): bool, sbyte, byte, short,
/// ushort, int, uint, long, ulong, float, double, string, DateTime, Guid, byte[] (ByteString), XmlElement as string,
/// NodeId, ExpandedNodeId, StatusCode, QualifiedName, LocalizedText, ExtensionObject, DataValue, Variant,
/// DiagnosticInfo. <c>default</c> is <see cref="Null"/>.
/// </summary>
public readonly struct Variant : IEquatable<Variant>
{
    // The scalar's bits when _inline; otherwise the value (reference type, boxed Guid, array) or a Matrix.
    private readonly object? _reference;
    private readonly ulong _bits;
    private readonly BuiltInType _type;
    private readonly bool _inline;

    /// <summary>
    /// A Variant of <paramref name="type"/> holding <paramref name="value"/>: a scalar of the type's .NET type, a typed
    /// array of it, or null. A fixed-size scalar is unboxed into inline storage; <c>From</c> avoids the box altogether.
    /// </summary>
    /// <param name="type">The built-in type of the value or of the array's elements.</param>
    /// <param name="value">The value, a typed array, or null.</param>
    /// <param name="dimensions">The dimensions of a matrix; null for scalars and one-dimensional arrays.</param>
    /// <exception cref="ArgumentException">A fixed-size scalar that is not of the type's .NET type.</exception>
    public Variant(BuiltInType type, object? value, int[]? dimensions = null)
    {
        _type = type;
        if (value is null || IsArrayValue(type, value))
        {
            _reference = value is Array array && dimensions is not null ? new Matrix(array, dimensions) : value;
            return;
        }
        if (!IsInline(type))
        {
            _reference = value;
            return;
        }
        _inline = true;
        _bits = (type, value) switch
        {
            (BuiltInType.Boolean, bool v) => v ? 1UL : 0UL,
            (BuiltInType.SByte, sbyte v) => (ulong)v,
            (BuiltInType.Byte, byte v) => v,
            (BuiltInType.Int16, short v) => (ulong)v,
            (BuiltInType.UInt16, ushort v) => v,
            (BuiltInType.Int32, int v) => (ulong)v,
            (BuiltInType.UInt32, uint v) => v,
            (BuiltInType.Int64, long v) => (ulong)v,
            (BuiltInType.UInt64, ulong v) => v,
            (BuiltInType.Float, float v) => BitConverter.SingleToUInt32Bits(v),
            (BuiltInType.Double, double v) => BitConverter.DoubleToUInt64Bits(v),
            (BuiltInType.DateTime, DateTime v) => Unsafe.BitCast<DateTime, ulong>(v),
            (BuiltInType.StatusCode, StatusCode v) => v.Code,
            _ => throw new ArgumentException($"a {value.GetType().Name} is not a {type} scalar", nameof(value)),
        };
    }

    private Variant(BuiltInType type, ulong bits)
    {
        _type = type;
        _bits = bits;
        _inline = true;
    }

    /// <summary>The empty Variant (also <c>default</c>).</summary>
    public static Variant Null => default;

    /// <summary>The built-in type of the value or of the array's elements.</summary>
    public BuiltInType Type => _type;

    /// <summary>
    /// The value as its .NET type, a typed array, or null. An inline scalar is boxed on every call: use
    /// <see cref="TryGetDouble"/>, <see cref="TryGetNumber"/> or <see cref="AsDateTime"/> where that matters.
    /// </summary>
    public object? Value => _inline ? Box() : _reference is Matrix matrix ? matrix.Elements : _reference;

    /// <summary>The dimensions of a matrix; null for scalars and one-dimensional arrays.</summary>
    public int[]? Dimensions => (_reference as Matrix)?.Dimensions;

    /// <summary>Whether the value is an array (or matrix).</summary>
    public bool IsArray => !_inline && _reference is not null && IsArrayValue(_type, Elements);

    /// <summary>Whether the Variant encodes as the null Variant: no type, or a null reference or array.</summary>
    public bool IsNull => _type == BuiltInType.Null || (!_inline && _reference is null);

    // The held reference with a matrix unwrapped.
    private object? Elements => _reference is Matrix matrix ? matrix.Elements : _reference;

    /// <summary>A Boolean scalar.</summary>
    public static Variant From(bool value) => new(BuiltInType.Boolean, value ? 1UL : 0UL);

    /// <summary>An SByte scalar.</summary>
    public static Variant From(sbyte value) => new(BuiltInType.SByte, (ulong)value);

    /// <summary>A Byte scalar.</summary>
    public static Variant From(byte value) => new(BuiltInType.Byte, value);

    /// <summary>An Int16 scalar.</summary>
    public static Variant From(short value) => new(BuiltInType.Int16, (ulong)value);

    /// <summary>A UInt16 scalar.</summary>
    public static Variant From(ushort value) => new(BuiltInType.UInt16, value);

    /// <summary>An Int32 scalar.</summary>
    public static Variant From(int value) => new(BuiltInType.Int32, (ulong)value);

    /// <summary>A UInt32 scalar.</summary>
    public static Variant From(uint value) => new(BuiltInType.UInt32, value);

    /// <summary>An Int64 scalar.</summary>
    public static Variant From(long value) => new(BuiltInType.Int64, (ulong)value);

    /// <summary>A UInt64 scalar.</summary>
    public static Variant From(ulong value) => new(BuiltInType.UInt64, value);

    /// <summary>A Float scalar.</summary>
    public static Variant From(float value) => new(BuiltInType.Float, BitConverter.SingleToUInt32Bits(value));

    /// <summary>A Double scalar.</summary>
    public static Variant From(double value) => new(BuiltInType.Double, BitConverter.DoubleToUInt64Bits(value));

    /// <summary>A DateTime scalar.</summary>
    public static Variant From(DateTime value) => new(BuiltInType.DateTime, Unsafe.BitCast<DateTime, ulong>(value));

    /// <summary>A StatusCode scalar.</summary>
    public static Variant From(StatusCode value) => new(BuiltInType.StatusCode, value.Code);

    /// <summary>A String scalar.</summary>
    public static Variant From(string? value) => new(BuiltInType.String, value);

    /// <summary>A Double array.</summary>
    public static Variant From(double[] values) => new(BuiltInType.Double, values);

    /// <summary>The value when this is a Double scalar.</summary>
    public bool TryGetDouble(out double value)
    {
        var isDouble = _inline && _type == BuiltInType.Double;
        value = isDouble ? BitConverter.UInt64BitsToDouble(_bits) : 0;
        return isDouble;
    }

    /// <summary>The value when this is a Boolean scalar.</summary>
    public bool TryGetBoolean(out bool value)
    {
        var isBoolean = _inline && _type == BuiltInType.Boolean;
        value = isBoolean && _bits != 0;
        return isBoolean;
    }

    /// <summary>The value converted to a double when this is a scalar of a numeric built-in type (SByte to Double).</summary>
    public bool TryGetNumber(out double value)
    {
        value = !_inline ? 0 : _type switch
        {
            BuiltInType.SByte or BuiltInType.Int16 or BuiltInType.Int32 or BuiltInType.Int64 => (long)_bits,
            BuiltInType.Byte or BuiltInType.UInt16 or BuiltInType.UInt32 or BuiltInType.UInt64 => _bits,
            BuiltInType.Float => BitConverter.UInt32BitsToSingle((uint)_bits),
            BuiltInType.Double => BitConverter.UInt64BitsToDouble(_bits),
            _ => double.NaN,
        };
        return _inline && _type is >= BuiltInType.SByte and <= BuiltInType.Double;
    }

    /// <summary>The value of a DateTime scalar; anything else is an <see cref="InvalidCastException"/>.</summary>
    public DateTime AsDateTime() => _inline && _type == BuiltInType.DateTime
        ? Unsafe.BitCast<ulong, DateTime>(_bits)
        : throw new InvalidCastException($"a {_type} Variant is not a DateTime scalar");

    // The raw inline storage, for the encoder: the scalar's bits as From stored them.
    internal ulong InlineBits => _bits;

    // Whether the scalar is stored inline (the encoder writes it from InlineBits).
    internal bool IsInlineScalar => _inline;

    /// <summary>
    /// Same type, and the same value: inline scalars by their type's equality (NaN equals NaN, as boxed doubles did),
    /// references by <see cref="object.Equals(object, object)"/>, so arrays and matrix dimensions by reference.
    /// </summary>
    public bool Equals(Variant other)
    {
        if (_type != other._type || _inline != other._inline) return false;
        if (_inline)
        {
            return _type switch
            {
                BuiltInType.Double => BitConverter.UInt64BitsToDouble(_bits).Equals(BitConverter.UInt64BitsToDouble(other._bits)),
                BuiltInType.Float => BitConverter.UInt32BitsToSingle((uint)_bits).Equals(BitConverter.UInt32BitsToSingle((uint)other._bits)),
                BuiltInType.DateTime => AsDateTime() == other.AsDateTime(),
                _ => _bits == other._bits,
            };
        }
        return Equals(Elements, other.Elements) && ReferenceEquals(Dimensions, other.Dimensions);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Variant other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_type, !_inline ? Elements?.GetHashCode() ?? 0 : _type switch
    {
        BuiltInType.Double => BitConverter.UInt64BitsToDouble(_bits).GetHashCode(),
        BuiltInType.Float => BitConverter.UInt32BitsToSingle((uint)_bits).GetHashCode(),
        BuiltInType.DateTime => AsDateTime().GetHashCode(),
        _ => _bits.GetHashCode(),
    });

    /// <summary>The type and the value, invariant (e.g. <c>Double 419.25</c>, <c>Double[3]</c>, <c>Null</c>).</summary>
    public override string ToString() => Value switch
    {
        null => _type == BuiltInType.Null ? "Null" : $"{_type} null",
        Array array when IsArray => Dimensions is { } dims ? $"{_type}[{string.Join(",", dims)}]" : $"{_type}[{array.Length}]",
        IFormattable formattable => $"{_type} {formattable.ToString(null, CultureInfo.InvariantCulture)}",
        var value => $"{_type} {value}",
    };

    /// <summary>Whether two Variants are equal.</summary>
    public static bool operator ==(Variant left, Variant right) => left.Equals(right);

    /// <summary>Whether two Variants differ.</summary>
    public static bool operator !=(Variant left, Variant right) => !left.Equals(right);

    // Fixed-size scalars that fit the 8 bytes of inline storage.
    private static bool IsInline(BuiltInType type) => type is >= BuiltInType.Boolean and <= BuiltInType.Double or BuiltInType.DateTime or BuiltInType.StatusCode;

    // A ByteString scalar is a byte[]; an array of ByteStrings is a byte[][].
    private static bool IsArrayValue(BuiltInType type, object? value) => (value is Array && type != BuiltInType.ByteString) || value is byte[][];

    private object Box() => _type switch
    {
        BuiltInType.Boolean => _bits != 0,
        BuiltInType.SByte => (sbyte)_bits,
        BuiltInType.Byte => (byte)_bits,
        BuiltInType.Int16 => (short)_bits,
        BuiltInType.UInt16 => (ushort)_bits,
        BuiltInType.Int32 => (int)_bits,
        BuiltInType.UInt32 => (uint)_bits,
        BuiltInType.Int64 => (long)_bits,
        BuiltInType.UInt64 => _bits,
        BuiltInType.Float => BitConverter.UInt32BitsToSingle((uint)_bits),
        BuiltInType.Double => BitConverter.UInt64BitsToDouble(_bits),
        BuiltInType.DateTime => AsDateTime(),
        _ => new StatusCode((uint)_bits),
    };

    /// <summary>A matrix's flat elements with its dimensions, held in the one reference slot.</summary>
    private sealed class Matrix(Array elements, int[] dimensions)
    {
        public Array Elements { get; } = elements;

        public int[] Dimensions { get; } = dimensions;
    }
}
