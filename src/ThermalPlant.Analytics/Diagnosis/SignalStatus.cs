namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// OPC UA status codes as the diagnoser's inputs carry them (Part 4, 7.39: the top two bits give the severity),
/// decoded here so the library needs no OPC UA dependency.
/// </summary>
public static class SignalStatus
{
    /// <summary>Good.</summary>
    public const uint Good = 0;

    /// <summary>UncertainLastUsableValue: the sensors service's <c>uncertain</c> quality.</summary>
    public const uint Uncertain = 0x40900000;

    /// <summary>BadSensorFailure: what the OPC server publishes for a sensor that reads bad.</summary>
    public const uint BadSensorFailure = 0x808C0000;

    /// <summary>BadCommunicationError: the server cannot reach the sensor; no verdict on the sensor itself.</summary>
    public const uint BadCommunicationError = 0x80050000;

    /// <summary>True for a Good status.</summary>
    public static bool IsGood(uint status) => (status & 0xC0000000) == 0;

    /// <summary>True for a Bad status.</summary>
    public static bool IsBad(uint status) => (status & 0x80000000) != 0;

    /// <summary>
    /// True for Bad codes that say the value could not be fetched (communication, connection, no data yet), as
    /// opposed to a sensor that answered with a fault: these pause a diagnosis instead of raising one.
    /// </summary>
    public static bool IsCommunicationLoss(uint status) => (status & 0xFFFF0000) switch
    {
        0x80050000 or 0x800D0000 or 0x80310000 or 0x80320000 or 0x808A0000 or 0x800A0000 => true,
        _ => false,
    };
}
