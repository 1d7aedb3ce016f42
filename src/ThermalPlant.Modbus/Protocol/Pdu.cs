using System.Buffers.Binary;

namespace ThermalPlant.Modbus.Protocol;

/// <summary>Encoding of request PDUs and validation of response PDUs (Modbus Application Protocol v1.1b3, section 6).</summary>
internal static class Pdu
{
    public static int ReadRequest(Span<byte> pdu, FunctionCode function, ushort address, ushort count)
    {
        pdu[0] = (byte)function;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], count);
        return 5;
    }

    public static int WriteSingleRequest(Span<byte> pdu, FunctionCode function, ushort address, ushort value) =>
        ReadRequest(pdu, function, address, value);

    public static int WriteMultipleCoilsRequest(Span<byte> pdu, ushort address, ReadOnlySpan<bool> values)
    {
        ReadRequest(pdu, FunctionCode.WriteMultipleCoils, address, (ushort)values.Length);
        var bytes = (values.Length + 7) / 8;
        pdu[5] = (byte)bytes;
        PackBits(values, pdu.Slice(6, bytes));
        return 6 + bytes;
    }

    public static int WriteMultipleRegistersRequest(Span<byte> pdu, ushort address, ReadOnlySpan<ushort> values)
    {
        ReadRequest(pdu, FunctionCode.WriteMultipleRegisters, address, (ushort)values.Length);
        pdu[5] = (byte)(values.Length * 2);
        WriteRegisters(values, pdu[6..]);
        return 6 + (values.Length * 2);
    }

    public static int ReadWriteRequest(Span<byte> pdu, ushort readAddress, ushort readCount, ushort writeAddress, ReadOnlySpan<ushort> values)
    {
        ReadRequest(pdu, FunctionCode.ReadWriteMultipleRegisters, readAddress, readCount);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[5..], writeAddress);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[7..], (ushort)values.Length);
        pdu[9] = (byte)(values.Length * 2);
        WriteRegisters(values, pdu[10..]);
        return 10 + (values.Length * 2);
    }

    /// <summary>
    /// Checks a response's function byte: an exception response throws <see cref="ModbusException"/>, any other
    /// function than the request's is a protocol error.
    /// </summary>
    public static void CheckFunction(ReadOnlySpan<byte> response, FunctionCode function)
    {
        if (response.IsEmpty) throw new ModbusProtocolException("empty response PDU");
        if (response[0] == ((byte)function | 0x80))
        {
            if (response.Length != 2) throw new ModbusProtocolException($"exception response of {response.Length} bytes, expected 2");
            throw new ModbusException(function, (ExceptionCode)response[1]);
        }
        if (response[0] != (byte)function)
        {
            throw new ModbusProtocolException($"response to {function} carries function 0x{response[0]:X2}");
        }
    }

    /// <summary>The data bytes of a read response, checked to be exactly <paramref name="expectedBytes"/> long.</summary>
    public static ReadOnlySpan<byte> ReadResponseData(ReadOnlySpan<byte> response, FunctionCode function, int expectedBytes)
    {
        CheckFunction(response, function);
        if (response.Length < 2) throw new ModbusProtocolException($"{function} response without a byte count");
        if (response[1] != expectedBytes) throw new ModbusProtocolException($"{function} response carries {response[1]} bytes, {expectedBytes} were asked for");
        if (response.Length != 2 + expectedBytes) throw new ModbusProtocolException($"{function} response is {response.Length} bytes, expected {2 + expectedBytes}");
        return response.Slice(2, expectedBytes);
    }

    /// <summary>Checks a write response echoes the request's first five bytes (function, address, value or quantity).</summary>
    public static void CheckEcho(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, FunctionCode function)
    {
        CheckFunction(response, function);
        if (response.Length != 5 || !response.SequenceEqual(request[..5]))
        {
            throw new ModbusProtocolException($"{function} response does not echo the request ({Convert.ToHexString(response)})");
        }
    }

    public static void PackBits(ReadOnlySpan<bool> values, Span<byte> bytes)
    {
        bytes.Clear();
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i]) bytes[i / 8] |= (byte)(1 << (i % 8));
        }
    }

    public static void UnpackBits(ReadOnlySpan<byte> bytes, Span<bool> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (bytes[i / 8] & (1 << (i % 8))) != 0;
        }
    }

    public static void WriteRegisters(ReadOnlySpan<ushort> values, Span<byte> bytes)
    {
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes[(2 * i)..], values[i]);
        }
    }

    public static void ReadRegisters(ReadOnlySpan<byte> bytes, Span<ushort> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]);
        }
    }
}
