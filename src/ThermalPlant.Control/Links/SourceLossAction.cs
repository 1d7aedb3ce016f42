namespace ThermalPlant.Control.Links;

/// <summary>What a link does while its source is Bad, stale or unreachable.</summary>
public enum SourceLossAction
{
    /// <summary>Writes nothing: the device keeps the last set point.</summary>
    Hold,
    /// <summary>Moves the set point to the safe value at the configured rate, writing every cycle.</summary>
    RampToSafeValue,
}
