namespace ThermalPlant.Modbus.Maps;

/// <summary>The Modbus table a value lives in.</summary>
public enum RegisterTable
{
    /// <summary>Coils (read/write bits, FC01).</summary>
    Coil,
    /// <summary>Discrete inputs (read-only bits, FC02).</summary>
    DiscreteInput,
    /// <summary>Holding registers (read/write words, FC03).</summary>
    Holding,
    /// <summary>Input registers (read-only words, FC04).</summary>
    Input,
}
