using ThermalPlant.OpcUa.Server.Events;

namespace ThermalPlant.OpcUa.Generated;

/// <summary>The server's side of an event notification: the shared selection its fields come from, already encoded once.</summary>
public sealed partial class EventFieldList
{
    /// <summary>The selection <see cref="EventFields"/> came from, whose encoding <see cref="SelectedEvent.Notifications"/> reuses; null on the client.</summary>
    internal SelectedEvent? Selected { get; init; }
}
