namespace ThermalPlant.Modbus.Maps;

/// <summary>Order of the two registers of a 32-bit value (bytes within a register are always big-endian).</summary>
public enum WordOrder
{
    /// <summary>High word first (ABCD), the Modbus convention.</summary>
    HighFirst,
    /// <summary>Low word first (CDAB), as many PLCs store it.</summary>
    LowFirst,
}
