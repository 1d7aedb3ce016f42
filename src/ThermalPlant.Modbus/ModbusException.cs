using ThermalPlant.Modbus.Protocol;

namespace ThermalPlant.Modbus;

/// <summary>The device answered with a Modbus exception response: the request was understood and refused.</summary>
public sealed class ModbusException : Exception
{
    /// <summary>Creates the exception for <paramref name="function"/> refused with <paramref name="code"/>.</summary>
    public ModbusException(FunctionCode function, ExceptionCode code)
        : base($"Modbus device refused {function} with exception {(byte)code:X2} ({code})")
    {
        Function = function;
        Code = code;
    }

    /// <summary>Creates the exception with a message.</summary>
    public ModbusException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ModbusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public ModbusException()
    {
    }

    /// <summary>The refused function.</summary>
    public FunctionCode Function { get; }

    /// <summary>The device's exception code.</summary>
    public ExceptionCode Code { get; }
}
