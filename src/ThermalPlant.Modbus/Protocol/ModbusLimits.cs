namespace ThermalPlant.Modbus.Protocol;

/// <summary>Limits of the protocol, with where they come from.</summary>
internal static class ModbusLimits
{
    /// <summary>MBAP header: transaction id, protocol id, length (2 bytes each) and unit id (Messaging on TCP/IP guide, 3.1.3).</summary>
    public const int MbapLength = 7;

    /// <summary>The PDU is at most 253 bytes (Application Protocol, 4.1), so the MBAP length field (unit + PDU) at most 254.</summary>
    public const int MaxPduLength = 253;

    /// <summary>Read Coils / Discrete Inputs: 1 to 2000 bits (6.1, 6.2).</summary>
    public const int MaxReadBits = 2000;

    /// <summary>Read Holding / Input Registers: 1 to 125 registers (6.3, 6.4).</summary>
    public const int MaxReadRegisters = 125;

    /// <summary>Write Multiple Coils: 1 to 1968 bits (6.11).</summary>
    public const int MaxWriteBits = 1968;

    /// <summary>Write Multiple Registers: 1 to 123 registers (6.12).</summary>
    public const int MaxWriteRegisters = 123;

    /// <summary>Read/Write Multiple Registers: write 1 to 121 registers (6.17).</summary>
    public const int MaxReadWriteWriteRegisters = 121;
}
