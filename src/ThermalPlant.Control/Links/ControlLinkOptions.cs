using ThermalPlant.Control.Sources;

namespace ThermalPlant.Control.Links;

/// <summary>
/// One control link: which OPC UA node is read and which Modbus register is written, with its limits (bindable from
/// configuration, checked by <see cref="Validate"/> before anything runs). How the value is converted is the
/// <see cref="ISetPointCurve"/> the host builds; a plant's link (e.g. the Power-to-Gas one) derives from this class to
/// add its curve's settings and its defaults.
/// </summary>
public class ControlLinkOptions
{
    /// <summary>The link's name, in logs and metrics.</summary>
    public string Name { get; set; } = "";

    /// <summary>Time between cycles (the seed's control task: 1 s).</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The OPC UA node read (the requested H2 flow).</summary>
    public OpcUaSourceOptions Source { get; set; } = new();

    /// <summary>The Modbus device written.</summary>
    public ModbusTargetOptions Target { get; set; } = new();

    /// <summary>The status flag that must be set for writes.</summary>
    public EnableConditionOptions Enable { get; set; } = new();

    /// <summary>The lowest set point ever written, in the target's unit.</summary>
    public double Minimum { get; set; }

    /// <summary>The highest set point ever written, in the target's unit; it must be set.</summary>
    public double Maximum { get; set; }

    /// <summary>The largest change of the set point per second, in the target's unit.</summary>
    public double MaxRatePerSecond { get; set; } = 5;

    /// <summary>What the link does while its source cannot be used.</summary>
    public SourceLossAction OnSourceLoss { get; set; } = SourceLossAction.RampToSafeValue;

    /// <summary>The set point ramped to when the source is lost, in the target's unit.</summary>
    public double SafeValue { get; set; }

    /// <summary>A Good value whose source timestamp is older than this is stale; null does not check timestamps.</summary>
    public TimeSpan? MaxSourceAge { get; set; }

    /// <summary>Log what would be written, and write nothing.</summary>
    public bool DryRun { get; set; }

    /// <summary>The shortest time between two log lines about a blocking interlock (the seed: 10 s).</summary>
    public TimeSpan InterlockLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Adds one message per invalid setting, each starting with the full key (<paramref name="prefix"/>:Name).</summary>
    public virtual void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(Name)) errors.Add($"{prefix}:Name must not be empty");
        if (Period < TimeSpan.FromMilliseconds(100) || Period > TimeSpan.FromHours(1)) errors.Add($"{prefix}:Period must be between 100 ms and 1 hour");
        Source.Validate($"{prefix}:Source", errors);
        Target.Validate($"{prefix}:Target", errors);
        Enable.Validate($"{prefix}:Enable", Target.BaseAddress, errors);
        if (!double.IsFinite(Minimum) || !double.IsFinite(Maximum) || Minimum < 0 || Maximum <= 0 || Maximum < Minimum)
        {
            errors.Add($"{prefix}:Minimum and Maximum need 0 <= Minimum <= Maximum and Maximum > 0");
        }
        else if (Maximum * Target.SetPointScale > ushort.MaxValue)
        {
            errors.Add($"{prefix}:Maximum times Target:SetPointScale must fit a register (65535)");
        }
        if (!double.IsFinite(MaxRatePerSecond) || MaxRatePerSecond <= 0) errors.Add($"{prefix}:MaxRatePerSecond must be positive");
        if (!Enum.IsDefined(OnSourceLoss)) errors.Add($"{prefix}:OnSourceLoss must be Hold or RampToSafeValue");
        if (!double.IsFinite(SafeValue) || SafeValue < Minimum || SafeValue > Maximum) errors.Add($"{prefix}:SafeValue must lie within Minimum..Maximum");
        if (MaxSourceAge is { } age && age <= TimeSpan.Zero) errors.Add($"{prefix}:MaxSourceAge must be positive when set");
        if (InterlockLogInterval < TimeSpan.Zero) errors.Add($"{prefix}:InterlockLogInterval must not be negative");
    }
}
