using ThermalPlant.OpcUa.Server.Conditions;

namespace ThermalPlant.OpcServer.Plant;

/// <summary>
/// The plant's alarms (section <c>OpcServer:Alarms</c>): an OffNormalAlarm per sensor while its reading is Bad, an
/// ExclusiveLimitAlarm per scalar variable that has limits here, keyed by its tag (<c>Temperature/Upper</c>) or by its
/// group (<c>Temperature/*</c>, used when the tag has no entry of its own).
/// </summary>
public sealed class PlantAlarmSettings
{
    /// <summary>Whether the alarms are served.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Severity of a sensor's Bad-reading alarm.</summary>
    public ushort BadReadingSeverity { get; set; } = 700;

    /// <summary>Severity of the Bad-reading alarms while the DMZ or the sensors service cannot be read.</summary>
    public ushort ServiceLostSeverity { get; set; } = 900;

    /// <summary>Limits by tag or group pattern.</summary>
    public Dictionary<string, PlantLimitSettings> Limits { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The limits for <paramref name="tag"/>: its own entry, else its group's (<c>Group/*</c>), else null.</summary>
    public LimitAlarmSettings? For(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (Limits.TryGetValue(tag, out var own)) return own.ToSettings();
        var slash = tag.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && Limits.TryGetValue(tag[..slash] + "/*", out var group) ? group.ToSettings() : null;
    }

    /// <summary>Problems with the settings, each starting with its key under <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (BadReadingSeverity is < 1 or > 1000) errors.Add($"{prefix}:BadReadingSeverity must be 1 to 1000");
        if (ServiceLostSeverity is < 1 or > 1000) errors.Add($"{prefix}:ServiceLostSeverity must be 1 to 1000");
        foreach (var (key, limits) in Limits)
        {
            foreach (var error in limits.ToSettings().Validate()) errors.Add($"{prefix}:Limits:{key}: {error}");
        }
    }
}

/// <summary>The limits of one tag or group, in the value's units; each limit is optional.</summary>
public sealed class PlantLimitSettings
{
    /// <summary>At or above: HighHigh.</summary>
    public double? HighHigh { get; set; }

    /// <summary>At or above: High.</summary>
    public double? High { get; set; }

    /// <summary>At or below: Low.</summary>
    public double? Low { get; set; }

    /// <summary>At or below: LowLow.</summary>
    public double? LowLow { get; set; }

    /// <summary>How far back past a limit a value must go to leave its state.</summary>
    public double Deadband { get; set; }

    /// <summary>Severity of High and Low.</summary>
    public ushort Severity { get; set; } = 500;

    /// <summary>Severity of HighHigh and LowLow.</summary>
    public ushort SevereSeverity { get; set; } = 800;

    /// <summary>The library's settings.</summary>
    public LimitAlarmSettings ToSettings() => new()
    {
        HighHigh = HighHigh,
        High = High,
        Low = Low,
        LowLow = LowLow,
        Deadband = Deadband,
        Severity = Severity,
        SevereSeverity = SevereSeverity,
    };
}
