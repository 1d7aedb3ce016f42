using System.Device.Gpio;

namespace ThermalPlant.Sensors.Devices;

/// <summary>The shaft speed pickup: a Hall-effect (or reflective) sensor on a GPIO pin.</summary>
public sealed class TachometerSettings
{
    /// <summary>GPIO number (BCM) of the pulse input; the original build used 22 for its reflective sensor.</summary>
    public int Pin { get; set; } = 23;

    /// <summary>Enable the internal pull-up (open-collector Hall sensors pull the line low).</summary>
    public bool PullUp { get; set; } = true;

    /// <summary>Which edges count: Falling, Rising, or both.</summary>
    public PinEventTypes Edges { get; set; } = PinEventTypes.Falling;

    /// <summary>Counted edges per shaft revolution (8 for the original's four-blade reflective target, both edges).</summary>
    public double PulsesPerRevolution { get; set; } = 1;

    /// <summary>Seconds of pulses the speed is computed over.</summary>
    public double WindowSeconds { get; set; } = 1;

    /// <summary>Seconds without a pulse after which the shaft is taken to stand still.</summary>
    public double TimeoutSeconds { get; set; } = 2;

    internal void Validate(string prefix, ICollection<string> errors)
    {
        if (Pin is < 0 or > 64) errors.Add($"{prefix}Pin must be a GPIO number between 0 and 64");
        if (Edges == PinEventTypes.None || (Edges & ~(PinEventTypes.Rising | PinEventTypes.Falling)) != 0) errors.Add($"{prefix}Edges must be Rising, Falling or both");
        if (!(PulsesPerRevolution is > 0 and <= 1000)) errors.Add($"{prefix}PulsesPerRevolution must be between 0 and 1000");
        if (!(WindowSeconds is >= 0.05 and <= 60)) errors.Add($"{prefix}WindowSeconds must be between 0.05 and 60");
        if (!(TimeoutSeconds >= WindowSeconds && TimeoutSeconds <= 600)) errors.Add($"{prefix}TimeoutSeconds must be between WindowSeconds and 600");
    }
}
