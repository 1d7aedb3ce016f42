using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Conditions;

/// <summary>
/// A condition's state at one moment (Part 9, 5.5 to 5.8), immutable: a new one replaces it on each transition, so
/// readers (the state variables, a refresh) never lock. <see cref="Retain"/> is true while the condition is enabled
/// and active, or not yet acknowledged or confirmed.
/// </summary>
public sealed record ConditionState
{
    /// <summary>EnabledState/Id.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>ActiveState/Id.</summary>
    public bool Active { get; init; }

    /// <summary>AckedState/Id.</summary>
    public bool Acked { get; init; } = true;

    /// <summary>ConfirmedState/Id.</summary>
    public bool Confirmed { get; init; } = true;

    /// <summary>Severity, 1 to 1000.</summary>
    public ushort Severity { get; init; } = 1;

    /// <summary>The last transition's message.</summary>
    public LocalizedText Message { get; init; }

    /// <summary>The last comment (Acknowledge, Confirm, AddComment).</summary>
    public LocalizedText Comment { get; init; }

    /// <summary>Who commented, acknowledged or confirmed last.</summary>
    public string? ClientUserId { get; init; }

    /// <summary>When the last transition happened.</summary>
    public DateTime Time { get; init; }

    /// <summary>When ActiveState last changed.</summary>
    public DateTime ActiveSince { get; init; }

    /// <summary>The limit state of an exclusive limit alarm (HighHigh, High, Low, LowLow), null when within limits.</summary>
    public string? LimitState { get; init; }

    /// <summary>Whether the condition is still of interest to a client (Part 9, 5.5.2).</summary>
    public bool Retain => Enabled && (Active || !Acked || !Confirmed);
}
