using System.Buffers.Binary;
using ThermalPlant.Modbus.Protocol;

namespace ThermalPlant.Modbus.Server;

/// <summary>
/// Executes one request PDU against a <see cref="ModbusDataStore"/> and writes the response PDU, checking in
/// the order the specification's state diagrams give: function (01), then quantity and byte count (03),
/// then address range (02).
/// </summary>
internal static class RequestHandler
{
    public static int Handle(ReadOnlySpan<byte> request, Span<byte> response, ModbusDataStore store)
    {
        var function = (FunctionCode)request[0];
        response[0] = request[0];
        switch (function)
        {
            case FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs when request.Length == 5:
            {
                var (address, count) = AddressAndCount(request);
                if (count is < 1 or > ModbusLimits.MaxReadBits) return Exception(response, function, ExceptionCode.IllegalDataValue);
                if (address + count > 65536) return Exception(response, function, ExceptionCode.IllegalDataAddress);
                Span<bool> bits = stackalloc bool[count];
                if (function == FunctionCode.ReadCoils) store.ReadCoils(address, bits); else store.ReadDiscreteInputs(address, bits);
                var bytes = (count + 7) / 8;
                response[1] = (byte)bytes;
                Pdu.PackBits(bits, response.Slice(2, bytes));
                return 2 + bytes;
            }
            case FunctionCode.ReadHoldingRegisters or FunctionCode.ReadInputRegisters when request.Length == 5:
            {
                var (address, count) = AddressAndCount(request);
                if (count is < 1 or > ModbusLimits.MaxReadRegisters) return Exception(response, function, ExceptionCode.IllegalDataValue);
                if (address + count > 65536) return Exception(response, function, ExceptionCode.IllegalDataAddress);
                Span<ushort> registers = stackalloc ushort[count];
                if (function == FunctionCode.ReadHoldingRegisters) store.ReadHoldingRegisters(address, registers); else store.ReadInputRegisters(address, registers);
                response[1] = (byte)(count * 2);
                Pdu.WriteRegisters(registers, response[2..]);
                return 2 + (count * 2);
            }
            case FunctionCode.WriteSingleCoil when request.Length == 5:
            {
                var (address, value) = AddressAndCount(request);
                if (value is not (0xFF00 or 0x0000)) return Exception(response, function, ExceptionCode.IllegalDataValue);
                store.WriteCoils(address, [value == 0xFF00]);
                return Echo(request, response);
            }
            case FunctionCode.WriteSingleRegister when request.Length == 5:
            {
                var (address, value) = AddressAndCount(request);
                store.WriteHoldingRegisters(address, [(ushort)value]);
                return Echo(request, response);
            }
            case FunctionCode.WriteMultipleCoils when request.Length >= 6:
            {
                var (address, count) = AddressAndCount(request);
                var bytes = (count + 7) / 8;
                if (count is < 1 or > ModbusLimits.MaxWriteBits || request[5] != bytes || request.Length != 6 + bytes) return Exception(response, function, ExceptionCode.IllegalDataValue);
                if (address + count > 65536) return Exception(response, function, ExceptionCode.IllegalDataAddress);
                Span<bool> bits = stackalloc bool[count];
                Pdu.UnpackBits(request.Slice(6, bytes), bits);
                store.WriteCoils(address, bits);
                return Echo(request, response);
            }
            case FunctionCode.WriteMultipleRegisters when request.Length >= 6:
            {
                var (address, count) = AddressAndCount(request);
                if (count is < 1 or > ModbusLimits.MaxWriteRegisters || request[5] != count * 2 || request.Length != 6 + (count * 2)) return Exception(response, function, ExceptionCode.IllegalDataValue);
                if (address + count > 65536) return Exception(response, function, ExceptionCode.IllegalDataAddress);
                Span<ushort> registers = stackalloc ushort[count];
                Pdu.ReadRegisters(request.Slice(6, count * 2), registers);
                store.WriteHoldingRegisters(address, registers);
                return Echo(request, response);
            }
            case FunctionCode.ReadWriteMultipleRegisters when request.Length >= 10:
            {
                var (readAddress, readCount) = AddressAndCount(request);
                var writeAddress = BinaryPrimitives.ReadUInt16BigEndian(request[5..]);
                var writeCount = BinaryPrimitives.ReadUInt16BigEndian(request[7..]);
                if (readCount is < 1 or > ModbusLimits.MaxReadRegisters || writeCount is < 1 or > ModbusLimits.MaxReadWriteWriteRegisters
                    || request[9] != writeCount * 2 || request.Length != 10 + (writeCount * 2))
                {
                    return Exception(response, function, ExceptionCode.IllegalDataValue);
                }
                if (readAddress + readCount > 65536 || writeAddress + writeCount > 65536) return Exception(response, function, ExceptionCode.IllegalDataAddress);
                Span<ushort> written = stackalloc ushort[writeCount];
                Pdu.ReadRegisters(request.Slice(10, writeCount * 2), written);
                Span<ushort> read = stackalloc ushort[readCount];
                store.WriteThenReadHoldingRegisters(writeAddress, written, readAddress, read);
                response[1] = (byte)(readCount * 2);
                Pdu.WriteRegisters(read, response[2..]);
                return 2 + (readCount * 2);
            }
            case FunctionCode.ReadCoils or FunctionCode.ReadDiscreteInputs or FunctionCode.ReadHoldingRegisters or FunctionCode.ReadInputRegisters
                or FunctionCode.WriteSingleCoil or FunctionCode.WriteSingleRegister or FunctionCode.WriteMultipleCoils
                or FunctionCode.WriteMultipleRegisters or FunctionCode.ReadWriteMultipleRegisters:
                // A known function whose request has the wrong length.
                return Exception(response, function, ExceptionCode.IllegalDataValue);
            default:
                return Exception(response, function, ExceptionCode.IllegalFunction);
        }
    }

    private static (int Address, int Count) AddressAndCount(ReadOnlySpan<byte> request) =>
        (BinaryPrimitives.ReadUInt16BigEndian(request[1..]), BinaryPrimitives.ReadUInt16BigEndian(request[3..]));

    private static int Echo(ReadOnlySpan<byte> request, Span<byte> response)
    {
        request[..5].CopyTo(response);
        return 5;
    }

    private static int Exception(Span<byte> response, FunctionCode function, ExceptionCode code)
    {
        response[0] = (byte)((byte)function | 0x80);
        response[1] = (byte)code;
        return 2;
    }
}
