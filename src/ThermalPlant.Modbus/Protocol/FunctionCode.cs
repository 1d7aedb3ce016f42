namespace ThermalPlant.Modbus.Protocol;

/// <summary>Modbus public function codes served here (Modbus Application Protocol v1.1b3, section 6).</summary>
public enum FunctionCode : byte
{
    /// <summary>Read Coils (0x01).</summary>
    ReadCoils = 0x01,
    /// <summary>Read Discrete Inputs (0x02).</summary>
    ReadDiscreteInputs = 0x02,
    /// <summary>Read Holding Registers (0x03).</summary>
    ReadHoldingRegisters = 0x03,
    /// <summary>Read Input Registers (0x04).</summary>
    ReadInputRegisters = 0x04,
    /// <summary>Write Single Coil (0x05).</summary>
    WriteSingleCoil = 0x05,
    /// <summary>Write Single Register (0x06).</summary>
    WriteSingleRegister = 0x06,
    /// <summary>Write Multiple Coils (0x0F).</summary>
    WriteMultipleCoils = 0x0F,
    /// <summary>Write Multiple Registers (0x10).</summary>
    WriteMultipleRegisters = 0x10,
    /// <summary>Read/Write Multiple Registers (0x17).</summary>
    ReadWriteMultipleRegisters = 0x17,
}
