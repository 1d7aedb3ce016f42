using System.Buffers.Binary;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;
using TextEncoding = System.Text.Encoding;

namespace ThermalPlant.OpcUa.Encoding;

/// <summary>
/// Reads the OPC UA binary encoding (Part 6, 5.2) from a span. Every length or count is checked against the
/// limits and against the bytes that remain before anything is allocated: a short or malformed input is
/// BadDecodingError, an oversized one BadEncodingLimitsExceeded, both as <see cref="OpcUaException"/>.
/// </summary>
public ref struct BinaryDecoder
{
    private static readonly DateTime Epoch = new(1601, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly ReadOnlySpan<byte> _data;
    private readonly EncodingLimits _limits;
    private readonly NodeIdCache? _nodeIds;
    private int _position;
    private int _depth;

    /// <summary>
    /// Decodes <paramref name="data"/> within <paramref name="limits"/>; NodeIds are looked up in <paramref name="nodeIds"/>
    /// by their bytes before they are decoded, and added to it, when it is given.
    /// </summary>
    public BinaryDecoder(ReadOnlySpan<byte> data, EncodingLimits? limits = null, NodeIdCache? nodeIds = null)
    {
        _data = data;
        _limits = limits ?? EncodingLimits.Default;
        _nodeIds = nodeIds;
    }

    /// <summary>Bytes read so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Reads a Boolean (any non-zero byte is true).</summary>
    public bool ReadBoolean() => Take(1)[0] != 0;

    /// <summary>Reads an SByte.</summary>
    public sbyte ReadSByte() => (sbyte)Take(1)[0];

    /// <summary>Reads a Byte.</summary>
    public byte ReadByte() => Take(1)[0];

    /// <summary>Reads an Int16.</summary>
    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));

    /// <summary>Reads a UInt16.</summary>
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    /// <summary>Reads an Int32.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>Reads a UInt32.</summary>
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    /// <summary>Reads an Int64.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>Reads a UInt64.</summary>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads a Float.</summary>
    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    /// <summary>Reads a Double.</summary>
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>Reads a String: Int32 byte length (-1 for null), then UTF-8.</summary>
    public string? ReadString()
    {
        var length = ReadLength(_limits.MaxStringLength, "String");
        return length < 0 ? null : TextEncoding.UTF8.GetString(Take(length));
    }

    /// <summary>Reads a DateTime: 100 ns ticks since 1601-01-01 UTC; out-of-range values clamp to Min/MaxValue (Part 6, 5.2.2.5).</summary>
    public DateTime ReadDateTime()
    {
        var ticks = ReadInt64();
        if (ticks <= 0) return DateTime.MinValue;
        return ticks >= DateTime.MaxValue.Ticks - Epoch.Ticks ? DateTime.MaxValue : new DateTime(Epoch.Ticks + ticks, DateTimeKind.Utc);
    }

    /// <summary>Reads a Guid (Data1..Data3 little-endian, Data4 as bytes, the layout .NET uses).</summary>
    public Guid ReadGuid() => new(Take(16));

    /// <summary>Reads a ByteString: Int32 length (-1 for null), then the bytes.</summary>
    public byte[]? ReadByteString()
    {
        var length = ReadLength(_limits.MaxByteStringLength, "ByteString");
        return length < 0 ? null : Take(length).ToArray();
    }

    /// <summary>
    /// Reads an array's Int32 count: -1 for null; checked against MaxArrayLength and against the bytes left
    /// (every element takes at least one byte), so a hostile count allocates nothing.
    /// </summary>
    public int ReadArrayLength() => ReadLength(_limits.MaxArrayLength, "array");

    /// <summary>Reads a StatusCode.</summary>
    public StatusCode ReadStatusCode() => new(ReadUInt32());

    /// <summary>Reads a NodeId in any of its six encodings (Part 6, 5.2.2.9).</summary>
    public NodeId ReadNodeId()
    {
        if (_nodeIds is null) return ReadNodeIdBody(ReadByte());
        var start = _position;
        var length = EncodedNodeIdLength();
        if (length is <= 0 or > NodeIdCache.MaxEncodedLength) return ReadNodeIdBody(ReadByte());
        var encoded = _data.Slice(start, length);
        if (_nodeIds.TryGet(encoded, out var cached))
        {
            _position += length;
            return cached;
        }
        var nodeId = ReadNodeIdBody(ReadByte());
        if (_position - start == length) _nodeIds.Add(encoded, nodeId);
        return nodeId;
    }

    /// <summary>Reads an ExpandedNodeId: a NodeId whose encoding byte may flag a namespace URI (0x80) and a server index (0x40).</summary>
    public ExpandedNodeId ReadExpandedNodeId()
    {
        var encoding = ReadByte();
        var nodeId = ReadNodeIdBody((byte)(encoding & 0x3F));
        var uri = (encoding & 0x80) != 0 ? ReadString() : null;
        var server = (encoding & 0x40) != 0 ? ReadUInt32() : 0;
        return new ExpandedNodeId(nodeId, uri, server);
    }

    /// <summary>Reads a QualifiedName.</summary>
    public QualifiedName ReadQualifiedName() => new(ReadUInt16(), ReadString());

    /// <summary>Reads a LocalizedText: mask 0x01 locale, 0x02 text.</summary>
    public LocalizedText ReadLocalizedText()
    {
        var mask = ReadByte();
        var locale = (mask & 0x01) != 0 ? ReadString() : null;
        var text = (mask & 0x02) != 0 ? ReadString() : null;
        return new LocalizedText(locale, text);
    }

    /// <summary>Reads an ExtensionObject, keeping its body encoded.</summary>
    public ExtensionObject ReadExtensionObject()
    {
        var typeId = ReadNodeId();
        var encoding = ReadByte();
        return encoding switch
        {
            // Every request header carries a null one: the shared instance costs no allocation.
            0 when typeId == NodeId.Null => ExtensionObject.Null,
            0 => new ExtensionObject(typeId, ExtensionObjectEncoding.None, ReadOnlyMemory<byte>.Empty),
            1 => new ExtensionObject(typeId, ExtensionObjectEncoding.Binary, ReadByteString() ?? []),
            2 => new ExtensionObject(typeId, ExtensionObjectEncoding.Xml, ReadByteString() ?? []),
            _ => throw Invalid($"ExtensionObject encoding byte {encoding}"),
        };
    }

    /// <summary>Reads a DataValue (mask: 0x01 value, 0x02 status, 0x04 source timestamp, 0x08 server timestamp, 0x10/0x20 picoseconds).</summary>
    public DataValue ReadDataValue()
    {
        Enter();
        var mask = ReadByte();
        var value = new DataValue
        {
            Value = (mask & 0x01) != 0 ? ReadVariant() : Variant.Null,
            Status = (mask & 0x02) != 0 ? ReadStatusCode() : StatusCode.Good,
            SourceTimestamp = (mask & 0x04) != 0 ? ReadDateTime() : null,
            SourcePicoseconds = (mask & 0x10) != 0 ? ReadUInt16() : (ushort)0,
            ServerTimestamp = (mask & 0x08) != 0 ? ReadDateTime() : null,
            ServerPicoseconds = (mask & 0x20) != 0 ? ReadUInt16() : (ushort)0,
        };
        _depth--;
        return value;
    }

    /// <summary>Reads a DiagnosticInfo, bounded in depth.</summary>
    public DiagnosticInfo ReadDiagnosticInfo()
    {
        Enter();
        var mask = ReadByte();
        if (mask == 0)
        {
            _depth--;
            return DiagnosticInfo.Empty;
        }
        var info = new DiagnosticInfo
        {
            SymbolicId = (mask & 0x01) != 0 ? ReadInt32() : null,
            NamespaceUri = (mask & 0x02) != 0 ? ReadInt32() : null,
            Locale = (mask & 0x08) != 0 ? ReadInt32() : null,
            LocalizedText = (mask & 0x04) != 0 ? ReadInt32() : null,
            AdditionalInfo = (mask & 0x10) != 0 ? ReadString() : null,
            InnerStatusCode = (mask & 0x20) != 0 ? ReadStatusCode() : null,
            InnerDiagnosticInfo = (mask & 0x40) != 0 ? ReadDiagnosticInfo() : null,
        };
        _depth--;
        return info;
    }

    /// <summary>Reads a Variant: a scalar, an array, or a matrix whose dimensions must multiply to its length.</summary>
    public Variant ReadVariant()
    {
        Enter();
        var encoding = ReadByte();
        var type = (BuiltInType)(encoding & 0x3F);
        if (type > BuiltInType.DiagnosticInfo) throw Invalid($"Variant type id {(byte)type}");
        Variant result;
        if ((encoding & 0x80) == 0)
        {
            result = ReadScalar(type);
        }
        else
        {
            var length = ReadLength(_limits.MaxArrayLength, "array");
            var array = length < 0 ? null : ReadArray(type, length);
            int[]? dimensions = null;
            if ((encoding & 0x40) != 0)
            {
                var count = ReadLength(_limits.MaxArrayLength, "array dimensions");
                dimensions = new int[Math.Max(count, 0)];
                long product = 1;
                for (var i = 0; i < dimensions.Length; i++)
                {
                    dimensions[i] = ReadInt32();
                    if (dimensions[i] < 0) throw Invalid("negative matrix dimension");
                    product *= dimensions[i];
                    if (product > _limits.MaxArrayLength) throw Limit("matrix larger than MaxArrayLength");
                }
                if (product != Math.Max(length, 0)) throw Invalid($"matrix dimensions multiply to {product}, the array holds {length}");
            }
            result = new Variant(type, array, dimensions);
        }
        _depth--;
        return result;
    }

    // Fixed-size scalars go into the Variant's inline storage: a decoded number allocates nothing.
    private Variant ReadScalar(BuiltInType type) => type switch
    {
        BuiltInType.Boolean => Variant.From(ReadBoolean()),
        BuiltInType.SByte => Variant.From(ReadSByte()),
        BuiltInType.Byte => Variant.From(ReadByte()),
        BuiltInType.Int16 => Variant.From(ReadInt16()),
        BuiltInType.UInt16 => Variant.From(ReadUInt16()),
        BuiltInType.Int32 => Variant.From(ReadInt32()),
        BuiltInType.UInt32 => Variant.From(ReadUInt32()),
        BuiltInType.Int64 => Variant.From(ReadInt64()),
        BuiltInType.UInt64 => Variant.From(ReadUInt64()),
        BuiltInType.Float => Variant.From(ReadFloat()),
        BuiltInType.Double => Variant.From(ReadDouble()),
        BuiltInType.String or BuiltInType.XmlElement => new Variant(type, ReadString()),
        BuiltInType.DateTime => Variant.From(ReadDateTime()),
        BuiltInType.Guid => new Variant(type, ReadGuid()),
        BuiltInType.ByteString => new Variant(type, ReadByteString()),
        BuiltInType.NodeId => new Variant(type, ReadNodeId()),
        BuiltInType.ExpandedNodeId => new Variant(type, ReadExpandedNodeId()),
        BuiltInType.StatusCode => Variant.From(ReadStatusCode()),
        BuiltInType.QualifiedName => new Variant(type, ReadQualifiedName()),
        BuiltInType.LocalizedText => new Variant(type, ReadLocalizedText()),
        BuiltInType.ExtensionObject => new Variant(type, ReadExtensionObject()),
        BuiltInType.DataValue => new Variant(type, ReadDataValue()),
        BuiltInType.Variant => new Variant(type, ReadVariant()),
        BuiltInType.DiagnosticInfo => new Variant(type, ReadDiagnosticInfo()),
        _ => Variant.Null,
    };

    private Array ReadArray(BuiltInType type, int length)
    {
        // Every element takes at least one byte: a count beyond the remaining bytes cannot be honest.
        if (length > Remaining) throw Invalid($"array of {length} elements in {Remaining} bytes");
        return type switch
        {
            BuiltInType.Boolean => ReadElements(length, static (ref BinaryDecoder d) => d.ReadBoolean()),
            BuiltInType.SByte => ReadElements(length, static (ref BinaryDecoder d) => d.ReadSByte()),
            BuiltInType.Byte => Take(length).ToArray(),
            BuiltInType.Int16 => ReadElements(CheckFixed(length, 2), static (ref BinaryDecoder d) => d.ReadInt16()),
            BuiltInType.UInt16 => ReadElements(CheckFixed(length, 2), static (ref BinaryDecoder d) => d.ReadUInt16()),
            BuiltInType.Int32 => ReadElements(CheckFixed(length, 4), static (ref BinaryDecoder d) => d.ReadInt32()),
            BuiltInType.UInt32 => ReadElements(CheckFixed(length, 4), static (ref BinaryDecoder d) => d.ReadUInt32()),
            BuiltInType.Int64 => ReadElements(CheckFixed(length, 8), static (ref BinaryDecoder d) => d.ReadInt64()),
            BuiltInType.UInt64 => ReadElements(CheckFixed(length, 8), static (ref BinaryDecoder d) => d.ReadUInt64()),
            BuiltInType.Float => ReadElements(CheckFixed(length, 4), static (ref BinaryDecoder d) => d.ReadFloat()),
            BuiltInType.Double => ReadElements(CheckFixed(length, 8), static (ref BinaryDecoder d) => d.ReadDouble()),
            BuiltInType.String or BuiltInType.XmlElement => ReadElements(CheckFixed(length, 4), static (ref BinaryDecoder d) => d.ReadString()),
            BuiltInType.DateTime => ReadElements(CheckFixed(length, 8), static (ref BinaryDecoder d) => d.ReadDateTime()),
            BuiltInType.Guid => ReadElements(CheckFixed(length, 16), static (ref BinaryDecoder d) => d.ReadGuid()),
            BuiltInType.ByteString => ReadElements(CheckFixed(length, 4), static (ref BinaryDecoder d) => d.ReadByteString()),
            BuiltInType.NodeId => ReadElements(CheckFixed(length, 2), static (ref BinaryDecoder d) => d.ReadNodeId()),
            BuiltInType.ExpandedNodeId => ReadElements(CheckFixed(length, 2), static (ref BinaryDecoder d) => d.ReadExpandedNodeId()),
            BuiltInType.StatusCode => ReadElements(CheckFixed(length, 4), static (ref BinaryDecoder d) => d.ReadStatusCode()),
            BuiltInType.QualifiedName => ReadElements(CheckFixed(length, 6), static (ref BinaryDecoder d) => d.ReadQualifiedName()),
            BuiltInType.LocalizedText => ReadElements(length, static (ref BinaryDecoder d) => d.ReadLocalizedText()),
            BuiltInType.ExtensionObject => ReadElements(CheckFixed(length, 3), static (ref BinaryDecoder d) => d.ReadExtensionObject()),
            BuiltInType.DataValue => ReadElements(length, static (ref BinaryDecoder d) => d.ReadDataValue()),
            BuiltInType.Variant => ReadElements(length, static (ref BinaryDecoder d) => d.ReadVariant()),
            BuiltInType.DiagnosticInfo => ReadElements(length, static (ref BinaryDecoder d) => d.ReadDiagnosticInfo()),
            _ => new object?[length],
        };
    }

    private delegate T ElementReader<T>(ref BinaryDecoder decoder);

    // A typed array read element by element; the caller has bounded the length.
    private T[] ReadElements<T>(int length, ElementReader<T> read)
    {
        var values = new T[length];
        for (var i = 0; i < values.Length; i++) values[i] = read(ref this);
        return values;
    }

    private readonly int CheckFixed(int length, int size) =>
        (long)length * size <= Remaining ? length : throw Invalid($"array of {length} x {size} bytes in {Remaining} bytes");

    /// <summary>
    /// Reads a NodeId that is expected to be numeric (a message's or structure's encoding id) without making a NodeId:
    /// true with its namespace and id when it is numeric, false when it is of another kind (then read and dropped).
    /// </summary>
    public bool TryReadNumericNodeId(out ushort namespaceIndex, out uint id)
    {
        var encoding = ReadByte();
        switch (encoding)
        {
            case 0x00:
                namespaceIndex = 0;
                id = ReadByte();
                return true;
            case 0x01:
                namespaceIndex = ReadByte();
                id = ReadUInt16();
                return true;
            case 0x02:
                namespaceIndex = ReadUInt16();
                id = ReadUInt32();
                return true;
            default:
                namespaceIndex = ReadNodeIdBody(encoding).NamespaceIndex;
                id = 0;
                return false;
        }
    }

    private NodeId ReadNodeIdBody(byte encoding) => encoding switch
    {
        0x00 when PeekByte() == 0 => ReadNullNodeId(),
        0x00 => NodeId.Of(ReadByte()),
        0x01 => ReadFourByte(),
        0x02 => ReadNumeric(),
        0x03 => ReadStringNodeId(),
        0x04 => ReadGuidNodeId(),
        0x05 => ReadOpaqueNodeId(),
        _ => throw Invalid($"NodeId encoding byte 0x{encoding:X2}"),
    };

    private readonly byte PeekByte() => Remaining > 0 ? _data[_position] : (byte)0xFF;

    /// <summary>
    /// Bytes of the NodeId at the current position, read from its encoding byte and length without decoding it; 0 when
    /// that is not known from what is there (the decoding then says what is wrong).
    /// </summary>
    private readonly int EncodedNodeIdLength()
    {
        if (Remaining < 1) return 0;
        var length = _data[_position] switch
        {
            0x00 => 2,
            0x01 => 4,
            0x02 => 7,
            0x04 => 19,
            0x03 or 0x05 when Remaining >= 7 => 7 + Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(_data[(_position + 3)..])),
            _ => 0,
        };
        return length <= Remaining ? length : 0;
    }

    private NodeId ReadNullNodeId()
    {
        _position++;
        return NodeId.Null;
    }

    private NodeId ReadFourByte()
    {
        var ns = ReadByte();
        return NodeId.Of(ReadUInt16(), ns);
    }

    private NodeId ReadNumeric()
    {
        var ns = ReadUInt16();
        return NodeId.Of(ReadUInt32(), ns);
    }

    private NodeId ReadStringNodeId()
    {
        var ns = ReadUInt16();
        return NodeId.Of(ReadString() ?? "", ns);
    }

    private NodeId ReadGuidNodeId()
    {
        var ns = ReadUInt16();
        return NodeId.Of(ReadGuid(), ns);
    }

    private NodeId ReadOpaqueNodeId()
    {
        var ns = ReadUInt16();
        var length = ReadLength(_limits.MaxByteStringLength, "ByteString");
        return NodeId.Of(length < 0 ? [] : Take(length), ns);
    }

    /// <summary>An Int32 length: -1 means null, other negatives are malformed, beyond the limit or the data is refused.</summary>
    private int ReadLength(int limit, string what)
    {
        var length = ReadInt32();
        if (length < -1) throw Invalid($"{what} length {length}");
        if (length > limit) throw Limit($"{what} of {length} exceeds the limit of {limit}");
        if (length > Remaining) throw Invalid($"{what} of {length} bytes with {Remaining} left");
        return length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining) throw Invalid($"needed {count} bytes at offset {_position}, {Remaining} left");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private void Enter()
    {
        if (++_depth > _limits.MaxNestingDepth) throw Limit($"nesting deeper than {_limits.MaxNestingDepth}");
    }

    private static OpcUaException Invalid(string message) => new(StatusCodes.BadDecodingError, message);

    private static OpcUaException Limit(string message) => new(StatusCodes.BadEncodingLimitsExceeded, message);
}
