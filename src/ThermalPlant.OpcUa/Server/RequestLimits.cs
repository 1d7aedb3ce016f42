using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// The number of operations a request may carry, checked before any service allocates for them (Part 4, 7.34:
/// BadTooManyOperations for the whole request): the operation limits of Part 5, 6.3.11, which the Server object shows
/// under ServerCapabilities/OperationLimits, and for the id lists of the subscription services the per-session limits
/// those ids are bounded by anyway. Array lengths themselves are bounded by the decoder's MaxArrayLength and the message size.
/// </summary>
internal static class RequestLimits
{
    public static void Check(IServiceRequest request, OpcUaServerOptions options)
    {
        var nodes = options.MaxNodesPerOperation;
        var items = options.MaxMonitoredItemsPerCall;
        var subscriptions = options.MaxSubscriptionsPerSession;
        var (count, limit, what) = request switch
        {
            ReadRequest r => (Length(r.NodesToRead), nodes, "nodes per Read"),
            WriteRequest r => (Length(r.NodesToWrite), nodes, "nodes per Write"),
            HistoryReadRequest r => (Length(r.NodesToRead), nodes, "nodes per HistoryRead"),
            BrowseRequest r => (Length(r.NodesToBrowse), nodes, "nodes per Browse"),
            BrowseNextRequest r => (Length(r.ContinuationPoints), nodes, "continuation points per BrowseNext"),
            TranslateBrowsePathsToNodeIdsRequest r => (Length(r.BrowsePaths), nodes, "paths per TranslateBrowsePathsToNodeIds"),
            RegisterNodesRequest r => (Length(r.NodesToRegister), nodes, "nodes per RegisterNodes"),
            UnregisterNodesRequest r => (Length(r.NodesToUnregister), nodes, "nodes per UnregisterNodes"),
            CreateMonitoredItemsRequest r => (Length(r.ItemsToCreate), items, "monitored items per CreateMonitoredItems"),
            ModifyMonitoredItemsRequest r => (Length(r.ItemsToModify), items, "monitored items per ModifyMonitoredItems"),
            DeleteMonitoredItemsRequest r => (Length(r.MonitoredItemIds), items, "monitored items per DeleteMonitoredItems"),
            SetMonitoringModeRequest r => (Length(r.MonitoredItemIds), items, "monitored items per SetMonitoringMode"),
            SetTriggeringRequest r => (Length(r.LinksToAdd) + Length(r.LinksToRemove), items, "links per SetTriggering"),
            SetPublishingModeRequest r => (Length(r.SubscriptionIds), subscriptions, "subscriptions per SetPublishingMode"),
            DeleteSubscriptionsRequest r => (Length(r.SubscriptionIds), subscriptions, "subscriptions per DeleteSubscriptions"),
            TransferSubscriptionsRequest r => (Length(r.SubscriptionIds), subscriptions, "subscriptions per TransferSubscriptions"),
            // Each acknowledgement names a message kept for Republish: no session has more to acknowledge.
            PublishRequest r => (Length(r.SubscriptionAcknowledgements), subscriptions * options.MaxRetransmissionQueue, "acknowledgements per Publish"),
            _ => (0, int.MaxValue, string.Empty),
        };
        if (count > limit) throw new OpcUaException(StatusCodes.BadTooManyOperations, $"at most {limit} {what}");
    }

    private static long Length<T>(T[]? array) => array?.Length ?? 0;
}
