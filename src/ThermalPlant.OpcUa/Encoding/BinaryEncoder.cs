using System.Buffers;
using System.Buffers.Binary;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using TextEncoding = System.Text.Encoding;

namespace ThermalPlant.OpcUa.Encoding;

/// <summary>
/// Writes the OPC UA binary encoding (Part 6, 5.2) into a pooled buffer that grows as needed; dispose to
/// return it. NodeIds take their most compact form; lengths beyond the limits are refused when writing too.
/// </summary>
public sealed class BinaryEncoder : IDisposable
{
    private static readonly long EpochTicks = new DateTime(1601, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private readonly EncodingLimits _limits;
    private byte[] _buffer;
    private int _position;

    /// <summary>Creates an encoder with room for <paramref name="capacity"/> bytes to start with.</summary>
    public BinaryEncoder(int capacity = 256, EncodingLimits? limits = null)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        _limits = limits ?? EncodingLimits.Default;
    }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _position);

    /// <summary>Bytes written so far.</summary>
    public int Length => _position;

    /// <summary>Bytes the buffer holds before it must grow.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Forgets what was written, keeping the buffer, so that one encoder serves message after message.</summary>
    public void Clear() => _position = 0;

    /// <summary>Writes a Boolean as 0 or 1.</summary>
    public void WriteBoolean(bool value) => Grow(1)[0] = value ? (byte)1 : (byte)0;

    /// <summary>Writes an SByte.</summary>
    public void WriteSByte(sbyte value) => Grow(1)[0] = (byte)value;

    /// <summary>Writes a Byte.</summary>
    public void WriteByte(byte value) => Grow(1)[0] = value;

    /// <summary>Writes an Int16.</summary>
    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16LittleEndian(Grow(2), value);

    /// <summary>Writes a UInt16.</summary>
    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Grow(2), value);

    /// <summary>Writes an Int32.</summary>
    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Grow(4), value);

    /// <summary>Overwrites the Int32 written at <paramref name="position"/> (a count known only once its elements are written).</summary>
    public void WriteInt32At(int position, int value)
    {
        if (position < 0 || position > _position - 4) throw new ArgumentOutOfRangeException(nameof(position), "not within what was written");
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(position), value);
    }

    /// <summary>Writes a UInt32.</summary>
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Grow(4), value);

    /// <summary>Writes an Int64.</summary>
    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Grow(8), value);

    /// <summary>Writes a UInt64.</summary>
    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Grow(8), value);

    /// <summary>Writes a Float.</summary>
    public void WriteFloat(float value) => BinaryPrimitives.WriteSingleLittleEndian(Grow(4), value);

    /// <summary>Writes a Double.</summary>
    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Grow(8), value);

    /// <summary>Writes a String as its UTF-8 byte length and bytes; null as length -1.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        var length = TextEncoding.UTF8.GetByteCount(value);
        if (length > _limits.MaxStringLength) throw new OpcUaException(StatusCodes.BadEncodingLimitsExceeded, $"String of {length} bytes exceeds the limit of {_limits.MaxStringLength}");
        WriteInt32(length);
        TextEncoding.UTF8.GetBytes(value, Grow(length));
    }

    /// <summary>Writes a DateTime as 100 ns ticks since 1601; MinValue (and anything earlier than 1601) as 0, MaxValue as Int64.MaxValue.</summary>
    public void WriteDateTime(DateTime value)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        var ticks = utc == DateTime.MaxValue ? long.MaxValue : Math.Max(0, utc.Ticks - EpochTicks);
        WriteInt64(ticks);
    }

    /// <summary>Writes a Guid.</summary>
    public void WriteGuid(Guid value) => value.TryWriteBytes(Grow(16));

    /// <summary>Writes a ByteString; null as length -1.</summary>
    public void WriteByteString(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            WriteInt32(-1);
            return;
        }
        if (value.Length > _limits.MaxByteStringLength) throw new OpcUaException(StatusCodes.BadEncodingLimitsExceeded, $"ByteString of {value.Length} bytes exceeds the limit");
        WriteInt32(value.Length);
        value.CopyTo(Grow(value.Length));
    }

    /// <summary>Writes bytes as they are, without a length (headers assembled elsewhere).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    /// <summary>Writes a ByteString; null as length -1.</summary>
    public void WriteByteStringOrNull(byte[]? value) => WriteByteString(value, value is null);

    /// <summary>Writes an array as its Int32 count (-1 for null) and its elements.</summary>
    public void WriteArray<T>(T[]? values, Action<BinaryEncoder, T> writeElement)
    {
        ArgumentNullException.ThrowIfNull(writeElement);
        if (values is null)
        {
            WriteInt32(-1);
            return;
        }
        if (values.Length > _limits.MaxArrayLength) throw new OpcUaException(StatusCodes.BadEncodingLimitsExceeded, $"array of {values.Length} exceeds the limit");
        WriteInt32(values.Length);
        foreach (var value in values)
        {
            writeElement(this, value);
        }
    }

    /// <summary>Writes a StatusCode.</summary>
    public void WriteStatusCode(StatusCode value) => WriteUInt32(value.Code);

    /// <summary>Writes a NodeId in its most compact encoding.</summary>
    public void WriteNodeId(NodeId value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteNodeIdBody(value, 0);
    }

    /// <summary>Writes the numeric NodeId <paramref name="id"/> of namespace <paramref name="namespaceIndex"/> in its most compact form, as <see cref="WriteNodeId(NodeId)"/> would, without a NodeId.</summary>
    public void WriteNodeId(uint id, ushort namespaceIndex = 0) => WriteNumericNodeIdBody(namespaceIndex, id, 0);

    /// <summary>Writes an ExpandedNodeId.</summary>
    public void WriteExpandedNodeId(ExpandedNodeId value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var flags = (byte)((value.NamespaceUri is not null ? 0x80 : 0) | (value.ServerIndex != 0 ? 0x40 : 0));
        WriteNodeIdBody(value.NodeId, flags);
        if (value.NamespaceUri is not null) WriteString(value.NamespaceUri);
        if (value.ServerIndex != 0) WriteUInt32(value.ServerIndex);
    }

    /// <summary>Writes a QualifiedName.</summary>
    public void WriteQualifiedName(QualifiedName value)
    {
        WriteUInt16(value.NamespaceIndex);
        WriteString(value.Name);
    }

    /// <summary>Writes a LocalizedText.</summary>
    public void WriteLocalizedText(LocalizedText value)
    {
        WriteByte((byte)((value.Locale is not null ? 0x01 : 0) | (value.Text is not null ? 0x02 : 0)));
        if (value.Locale is not null) WriteString(value.Locale);
        if (value.Text is not null) WriteString(value.Text);
    }

    /// <summary>Writes an ExtensionObject with its encoded body.</summary>
    public void WriteExtensionObject(ExtensionObject value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteNodeId(value.TypeId);
        WriteByte((byte)value.Encoding);
        if (value.Encoding != ExtensionObjectEncoding.None) WriteByteString(value.Body.Span);
    }

    /// <summary>Writes a DataValue, with only the fields present.</summary>
    public void WriteDataValue(DataValue value)
    {
        // A Variant of type Null is the absent value; a typed null (a null String) is present and encodes as null.
        var hasValue = value.Value.Type != BuiltInType.Null;
        var mask = (byte)((hasValue ? 0x01 : 0) | (value.Status.Code != 0 ? 0x02 : 0)
            | (value.SourceTimestamp is not null ? 0x04 : 0) | (value.ServerTimestamp is not null ? 0x08 : 0)
            | (value.SourcePicoseconds != 0 ? 0x10 : 0) | (value.ServerPicoseconds != 0 ? 0x20 : 0));
        WriteByte(mask);
        if (hasValue) WriteVariant(value.Value);
        if (value.Status.Code != 0) WriteStatusCode(value.Status);
        if (value.SourceTimestamp is { } source) WriteDateTime(source);
        if (value.SourcePicoseconds != 0) WriteUInt16(value.SourcePicoseconds);
        if (value.ServerTimestamp is { } server) WriteDateTime(server);
        if (value.ServerPicoseconds != 0) WriteUInt16(value.ServerPicoseconds);
    }

    /// <summary>Writes a DiagnosticInfo.</summary>
    public void WriteDiagnosticInfo(DiagnosticInfo value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var mask = (byte)((value.SymbolicId is not null ? 0x01 : 0) | (value.NamespaceUri is not null ? 0x02 : 0)
            | (value.LocalizedText is not null ? 0x04 : 0) | (value.Locale is not null ? 0x08 : 0)
            | (value.AdditionalInfo is not null ? 0x10 : 0) | (value.InnerStatusCode is not null ? 0x20 : 0)
            | (value.InnerDiagnosticInfo is not null ? 0x40 : 0));
        WriteByte(mask);
        if (value.SymbolicId is { } symbolic) WriteInt32(symbolic);
        if (value.NamespaceUri is { } ns) WriteInt32(ns);
        if (value.Locale is { } locale) WriteInt32(locale);
        if (value.LocalizedText is { } text) WriteInt32(text);
        if (value.AdditionalInfo is not null) WriteString(value.AdditionalInfo);
        if (value.InnerStatusCode is { } inner) WriteStatusCode(inner);
        if (value.InnerDiagnosticInfo is not null) WriteDiagnosticInfo(value.InnerDiagnosticInfo);
    }

    /// <summary>Writes a Variant: scalar, array, or matrix with its dimensions.</summary>
    public void WriteVariant(Variant value)
    {
        if (value.IsNull)
        {
            WriteByte(0);
            return;
        }
        if (value.IsInlineScalar)
        {
            WriteByte((byte)value.Type);
            WriteInline(value);
            return;
        }
        if (!value.IsArray)
        {
            WriteByte((byte)value.Type);
            WriteScalar(value.Type, value.Value);
            return;
        }
        var array = (Array)value.Value!;
        if (array.Length > _limits.MaxArrayLength) throw new OpcUaException(StatusCodes.BadEncodingLimitsExceeded, $"array of {array.Length} exceeds the limit");
        var dimensions = value.Dimensions;
        WriteByte((byte)((byte)value.Type | 0x80 | (dimensions is not null ? 0x40 : 0)));
        WriteInt32(array.Length);
        WriteElements(value.Type, array);
        if (dimensions is not null)
        {
            WriteInt32(dimensions.Length);
            foreach (var dimension in dimensions) WriteInt32(dimension);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    // An inline scalar from its stored bits (Variant keeps floats and doubles as their IEEE bits, integers
    // sign-extended), so nothing is boxed.
    private void WriteInline(Variant value)
    {
        var bits = value.InlineBits;
        switch (value.Type)
        {
            case BuiltInType.Boolean: WriteBoolean(bits != 0); break;
            case BuiltInType.SByte or BuiltInType.Byte: WriteByte((byte)bits); break;
            case BuiltInType.Int16 or BuiltInType.UInt16: WriteUInt16((ushort)bits); break;
            case BuiltInType.Int32 or BuiltInType.UInt32 or BuiltInType.Float or BuiltInType.StatusCode: WriteUInt32((uint)bits); break;
            case BuiltInType.DateTime: WriteDateTime(value.AsDateTime()); break;
            default: WriteUInt64(bits); break;
        }
    }

    // The common element types are written from their typed arrays; the rest element by element as objects.
    private void WriteElements(BuiltInType type, Array array)
    {
        switch (type, array)
        {
            case (BuiltInType.Double, double[] values):
                foreach (var v in values) WriteDouble(v);
                break;
            case (BuiltInType.Float, float[] values):
                foreach (var v in values) WriteFloat(v);
                break;
            case (BuiltInType.Int32, int[] values):
                foreach (var v in values) WriteInt32(v);
                break;
            case (BuiltInType.UInt32, uint[] values):
                foreach (var v in values) WriteUInt32(v);
                break;
            case (BuiltInType.Byte, byte[] values):
                values.CopyTo(Grow(values.Length));
                break;
            case (BuiltInType.Variant, Variant[] values):
                foreach (var v in values) WriteVariant(v);
                break;
            case (BuiltInType.DataValue, DataValue[] values):
                foreach (var v in values) WriteDataValue(v);
                break;
            default:
                foreach (var element in array) WriteScalar(type, element);
                break;
        }
    }

    private void WriteScalar(BuiltInType type, object? value)
    {
        switch (type)
        {
            case BuiltInType.Boolean: WriteBoolean((bool)value!); break;
            case BuiltInType.SByte: WriteSByte((sbyte)value!); break;
            case BuiltInType.Byte: WriteByte((byte)value!); break;
            case BuiltInType.Int16: WriteInt16((short)value!); break;
            case BuiltInType.UInt16: WriteUInt16((ushort)value!); break;
            case BuiltInType.Int32: WriteInt32((int)value!); break;
            case BuiltInType.UInt32: WriteUInt32((uint)value!); break;
            case BuiltInType.Int64: WriteInt64((long)value!); break;
            case BuiltInType.UInt64: WriteUInt64((ulong)value!); break;
            case BuiltInType.Float: WriteFloat((float)value!); break;
            case BuiltInType.Double: WriteDouble((double)value!); break;
            case BuiltInType.String or BuiltInType.XmlElement: WriteString((string?)value); break;
            case BuiltInType.DateTime: WriteDateTime((DateTime)value!); break;
            case BuiltInType.Guid: WriteGuid((Guid)value!); break;
            case BuiltInType.ByteString: WriteByteString((byte[]?)value, value is null); break;
            case BuiltInType.NodeId: WriteNodeId((NodeId)value!); break;
            case BuiltInType.ExpandedNodeId: WriteExpandedNodeId((ExpandedNodeId)value!); break;
            case BuiltInType.StatusCode: WriteStatusCode((StatusCode)value!); break;
            case BuiltInType.QualifiedName: WriteQualifiedName((QualifiedName)value!); break;
            case BuiltInType.LocalizedText: WriteLocalizedText((LocalizedText)value!); break;
            case BuiltInType.ExtensionObject: WriteExtensionObject((ExtensionObject)value!); break;
            case BuiltInType.DataValue: WriteDataValue((DataValue)value!); break;
            case BuiltInType.Variant: WriteVariant((Variant)value!); break;
            case BuiltInType.DiagnosticInfo: WriteDiagnosticInfo((DiagnosticInfo)value!); break;
            default: throw new OpcUaException(StatusCodes.BadEncodingError, $"cannot encode built-in type {type}");
        }
    }

    private void WriteNumericNodeIdBody(ushort namespaceIndex, uint id, byte flags)
    {
        if (namespaceIndex == 0 && id <= byte.MaxValue)
        {
            var two = Grow(2);
            two[0] = flags;
            two[1] = (byte)id;
        }
        else if (namespaceIndex <= byte.MaxValue && id <= ushort.MaxValue)
        {
            var four = Grow(4);
            four[0] = (byte)(0x01 | flags);
            four[1] = (byte)namespaceIndex;
            BinaryPrimitives.WriteUInt16LittleEndian(four[2..], (ushort)id);
        }
        else
        {
            WriteByte((byte)(0x02 | flags));
            WriteUInt16(namespaceIndex);
            WriteUInt32(id);
        }
    }

    private void WriteNodeIdBody(NodeId value, byte flags)
    {
        switch (value.IdType)
        {
            case NodeIdType.Numeric:
                WriteNumericNodeIdBody(value.NamespaceIndex, value.Numeric, flags);
                break;
            case NodeIdType.String:
                WriteByte((byte)(0x03 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteString(value.Text);
                break;
            case NodeIdType.Guid:
                WriteByte((byte)(0x04 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteGuid(value.Guid);
                break;
            default:
                WriteByte((byte)(0x05 | flags));
                WriteUInt16(value.NamespaceIndex);
                WriteByteString(value.Opaque!.Value.Span);
                break;
        }
    }

    private Span<byte> Grow(int count)
    {
        if (_position + count > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + count));
            _buffer.AsSpan(0, _position).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }
}
