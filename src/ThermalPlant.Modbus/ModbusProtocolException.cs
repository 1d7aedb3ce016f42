namespace ThermalPlant.Modbus;

/// <summary>
/// What came over the wire is not a valid answer (short, long, mismatched transaction, unit, function or byte
/// count), or the connection failed or timed out. The connection is dropped; the next request reconnects.
/// </summary>
public sealed class ModbusProtocolException : IOException
{
    /// <summary>Creates the exception with a message saying what was wrong.</summary>
    public ModbusProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the transport error behind it.</summary>
    public ModbusProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public ModbusProtocolException()
    {
    }
}
