namespace ThermalPlant.Modbus.Protocol;

/// <summary>Modbus exception codes a device answers with (Modbus Application Protocol v1.1b3, section 7).</summary>
public enum ExceptionCode : byte
{
    /// <summary>The function code is not supported.</summary>
    IllegalFunction = 0x01,
    /// <summary>The address range is not valid for the device.</summary>
    IllegalDataAddress = 0x02,
    /// <summary>A value in the request (quantity, byte count, coil value) is not allowed.</summary>
    IllegalDataValue = 0x03,
    /// <summary>The device failed while performing the action.</summary>
    ServerDeviceFailure = 0x04,
    /// <summary>Accepted, but it will take long.</summary>
    Acknowledge = 0x05,
    /// <summary>The device is busy.</summary>
    ServerDeviceBusy = 0x06,
    /// <summary>Memory parity error.</summary>
    MemoryParityError = 0x08,
    /// <summary>The gateway has no path to the target.</summary>
    GatewayPathUnavailable = 0x0A,
    /// <summary>The gateway's target did not answer.</summary>
    GatewayTargetFailedToRespond = 0x0B,
}
