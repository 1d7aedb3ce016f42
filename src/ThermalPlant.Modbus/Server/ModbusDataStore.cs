namespace ThermalPlant.Modbus.Server;

/// <summary>
/// The four Modbus tables of a simulated device, 65,536 entries each, safe to read and write from the
/// server's connections and from the simulation at the same time.
/// </summary>
public sealed class ModbusDataStore
{
    private const int Size = 65536;

    private readonly Lock _lock = new();
    private readonly bool[] _coils = new bool[Size];
    private readonly bool[] _discreteInputs = new bool[Size];
    private readonly ushort[] _holding = new ushort[Size];
    private readonly ushort[] _input = new ushort[Size];

    /// <summary>Copies coils starting at <paramref name="address"/> into <paramref name="destination"/>.</summary>
    public void ReadCoils(int address, Span<bool> destination) => Read(_coils, address, destination);

    /// <summary>Copies discrete inputs starting at <paramref name="address"/> into <paramref name="destination"/>.</summary>
    public void ReadDiscreteInputs(int address, Span<bool> destination) => Read(_discreteInputs, address, destination);

    /// <summary>Copies holding registers starting at <paramref name="address"/> into <paramref name="destination"/>.</summary>
    public void ReadHoldingRegisters(int address, Span<ushort> destination) => Read(_holding, address, destination);

    /// <summary>Copies input registers starting at <paramref name="address"/> into <paramref name="destination"/>.</summary>
    public void ReadInputRegisters(int address, Span<ushort> destination) => Read(_input, address, destination);

    /// <summary>Sets coils starting at <paramref name="address"/>.</summary>
    public void WriteCoils(int address, ReadOnlySpan<bool> values) => Write(_coils, address, values);

    /// <summary>Sets discrete inputs (the device's own inputs) starting at <paramref name="address"/>.</summary>
    public void WriteDiscreteInputs(int address, ReadOnlySpan<bool> values) => Write(_discreteInputs, address, values);

    /// <summary>Sets holding registers starting at <paramref name="address"/>.</summary>
    public void WriteHoldingRegisters(int address, ReadOnlySpan<ushort> values) => Write(_holding, address, values);

    /// <summary>Sets input registers (the device's measurements) starting at <paramref name="address"/>.</summary>
    public void WriteInputRegisters(int address, ReadOnlySpan<ushort> values) => Write(_input, address, values);

    /// <summary>Writes <paramref name="values"/> to holding registers, then reads <paramref name="destination"/>, atomically (FC23).</summary>
    public void WriteThenReadHoldingRegisters(int writeAddress, ReadOnlySpan<ushort> values, int readAddress, Span<ushort> destination)
    {
        CheckRange(writeAddress, values.Length);
        CheckRange(readAddress, destination.Length);
        lock (_lock)
        {
            values.CopyTo(_holding.AsSpan(writeAddress));
            _holding.AsSpan(readAddress, destination.Length).CopyTo(destination);
        }
    }

    private void Read<T>(T[] table, int address, Span<T> destination)
    {
        CheckRange(address, destination.Length);
        lock (_lock)
        {
            table.AsSpan(address, destination.Length).CopyTo(destination);
        }
    }

    private void Write<T>(T[] table, int address, ReadOnlySpan<T> values)
    {
        CheckRange(address, values.Length);
        lock (_lock)
        {
            values.CopyTo(table.AsSpan(address));
        }
    }

    private static void CheckRange(int address, int count)
    {
        if (address < 0 || count < 0 || address + count > Size) throw new ArgumentOutOfRangeException(nameof(address), address, "the range lies outside 0..65535");
    }
}
