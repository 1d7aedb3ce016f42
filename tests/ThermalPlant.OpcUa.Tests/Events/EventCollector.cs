using ThermalPlant.OpcUa.Client;

namespace ThermalPlant.OpcUa.Tests.Events;

/// <summary>Reads a subscription's events in the background so a test can wait for a count of them.</summary>
internal sealed class EventCollector(OpcUaSubscription subscription) : NotificationCollector<EventNotification>(subscription.ReadEventsAsync, "events");
