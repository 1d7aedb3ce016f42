using System.Buffers.Binary;

namespace ThermalPlant.Modbus.Protocol;

/// <summary>The MBAP header that precedes every PDU on TCP (Messaging on TCP/IP guide, 3.1.3).</summary>
internal readonly record struct Mbap(ushort TransactionId, ushort Length, byte Unit)
{
    public static void Write(Span<byte> header, ushort transactionId, byte unit, int pduLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(header, transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)(pduLength + 1));
        header[6] = unit;
    }

    /// <summary>Reads and checks a header: protocol id 0 and a length that holds a unit id and 1..253 PDU bytes.</summary>
    public static Mbap Read(ReadOnlySpan<byte> header)
    {
        var protocol = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (protocol != 0) throw new ModbusProtocolException($"MBAP protocol id {protocol}, expected 0");
        var length = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
        if (length is < 2 or > ModbusLimits.MaxPduLength + 1) throw new ModbusProtocolException($"MBAP length {length} outside 2..{ModbusLimits.MaxPduLength + 1}");
        return new Mbap(BinaryPrimitives.ReadUInt16BigEndian(header), length, header[6]);
    }
}
