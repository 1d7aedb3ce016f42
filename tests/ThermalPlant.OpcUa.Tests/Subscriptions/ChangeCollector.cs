using ThermalPlant.OpcUa.Client;

namespace ThermalPlant.OpcUa.Tests.Subscriptions;

/// <summary>Reads a subscription's data changes in the background so a test can wait for a count of them.</summary>
internal sealed class ChangeCollector(OpcUaSubscription subscription) : NotificationCollector<DataChange>(subscription.ReadAllAsync, "data changes")
{
    /// <inheritdoc />
    protected override string Describe(List<DataChange> got) => $": {string.Join(", ", got.Select(c => c.Value.Value))}";
}
