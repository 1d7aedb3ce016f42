using System.Collections.Concurrent;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

// Subscriptions and the publish loop: creating subscriptions and their items, one outstanding Publish, Republish of
// missed sequence numbers, and restoring subscriptions after a new session.
public sealed partial class OpcUaClient
{
    private readonly ConcurrentDictionary<OpcUaSubscription, byte> _subscriptions = new();
    private readonly ConcurrentQueue<SubscriptionAcknowledgement> _acknowledgements = new();
    private TaskCompletionSource _subscriptionAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _publishLoop;

    /// <summary>Raised when a subscription had to be created again on the server; its items' next values report a gap.</summary>
    public event Action<OpcUaSubscription>? SubscriptionRecreated;

    /// <summary>
    /// Creates a subscription; add monitored items to it and read its data changes. The client sends Publish
    /// requests for all its subscriptions and restores them after a reconnection.
    /// </summary>
    public async Task<OpcUaSubscription> CreateSubscriptionAsync(SubscriptionSettings? settings = null, CancellationToken cancellationToken = default)
    {
        var subscription = new OpcUaSubscription(this, settings ?? new SubscriptionSettings(), _options.SubscriptionBufferCapacity);
        await CreateOnServerAsync(await CurrentChannelAsync(cancellationToken), subscription, cancellationToken);
        _subscriptions[subscription] = 0;
        _publishLoop ??= PublishAsync(_disposed.Token);
        _subscriptionAdded.TrySetResult();
        return subscription;
    }

    /// <summary>Creates monitored items of <paramref name="subscription"/> on the server; results go into the nodes.</summary>
    internal async Task CreateItemsAsync(OpcUaSubscription subscription, IReadOnlyList<MonitoredNode> nodes, CancellationToken cancellationToken) =>
        await CreateItemsOnAsync(await CurrentChannelAsync(cancellationToken), subscription, nodes, cancellationToken);

    /// <summary>Stops publishing for a subscription being deleted; false when it was gone already.</summary>
    internal bool Forget(OpcUaSubscription subscription) => _subscriptions.TryRemove(subscription, out _);

    private async Task CreateOnServerAsync(ClientChannel channel, OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        var settings = subscription.Settings;
        var created = await CallOnAsync<CreateSubscriptionResponse>(channel, new CreateSubscriptionRequest
        {
            RequestedPublishingInterval = settings.PublishingInterval,
            RequestedMaxKeepAliveCount = settings.MaxKeepAliveCount,
            RequestedLifetimeCount = settings.LifetimeCount,
            MaxNotificationsPerPublish = settings.MaxNotificationsPerPublish,
            PublishingEnabled = true,
            Priority = settings.Priority,
        }, cancellationToken);
        subscription.Id = created.SubscriptionId;
        subscription.RevisedPublishingInterval = created.RevisedPublishingInterval;
        subscription.RevisedMaxKeepAliveCount = created.RevisedMaxKeepAliveCount;
        subscription.ResetSequence();
    }

    private async Task CreateItemsOnAsync(ClientChannel channel, OpcUaSubscription subscription, IReadOnlyList<MonitoredNode> nodes, CancellationToken cancellationToken)
    {
        var requests = new MonitoredItemCreateRequest[nodes.Count];
        for (var i = 0; i < requests.Length; i++)
        {
            var request = nodes[i].Request;
            var filter = request.EventFilter is { } eventFilter ? ExtensionObject.From(eventFilter)
                : request.Trigger == DataChangeTrigger.StatusValue && request.DeadbandType == DeadbandType.None
                ? ExtensionObject.Null
                : ExtensionObject.From(new DataChangeFilter { Trigger = request.Trigger, DeadbandType = (uint)request.DeadbandType, DeadbandValue = request.Deadband });
            requests[i] = new MonitoredItemCreateRequest
            {
                ItemToMonitor = new ReadValueId { NodeId = request.Node, AttributeId = (uint)(request.EventFilter is null ? request.Attribute : AttributeId.EventNotifier) },
                MonitoringMode = MonitoringMode.Reporting,
                RequestedParameters = new MonitoringParameters
                {
                    ClientHandle = nodes[i].ClientHandle,
                    SamplingInterval = request.SamplingInterval,
                    QueueSize = request.QueueSize,
                    DiscardOldest = request.DiscardOldest,
                    Filter = filter,
                },
            };
        }
        // Large lists go in batches so that each request stays within the server's operation limits.
        const int batch = 1000;
        for (var offset = 0; offset < requests.Length; offset += batch)
        {
            var slice = requests[offset..Math.Min(requests.Length, offset + batch)];
            var response = await CallOnAsync<CreateMonitoredItemsResponse>(channel, new CreateMonitoredItemsRequest { SubscriptionId = subscription.Id, TimestampsToReturn = TimestampsToReturn.Both, ItemsToCreate = slice }, cancellationToken);
            var results = response.Results ?? [];
            if (results.Length != slice.Length) throw new OpcUaException(StatusCodes.BadUnknownResponse, $"CreateMonitoredItems answered {results.Length} results for {slice.Length} items");
            for (var i = 0; i < results.Length; i++)
            {
                var node = nodes[offset + i];
                node.Status = results[i].StatusCode;
                node.ServerId = results[i].MonitoredItemId;
                node.RevisedSamplingInterval = results[i].RevisedSamplingInterval;
                node.RevisedQueueSize = results[i].RevisedQueueSize;
                node.EventFilterResult = results[i].FilterResult.Decode() as EventFilterResult;
            }
        }
    }

    /// <summary>
    /// After a new session: moves the subscriptions over (TransferSubscriptions, with initial values) and re-creates
    /// those the server no longer has, whose items then report a possible gap.
    /// </summary>
    private async Task RestoreSubscriptionsAsync(ClientChannel channel, CancellationToken cancellationToken)
    {
        var subscriptions = _subscriptions.Keys.ToArray();
        if (subscriptions.Length == 0) return;
        var ids = new uint[subscriptions.Length];
        for (var i = 0; i < ids.Length; i++) ids[i] = subscriptions[i].Id;
        TransferResult[] results = [];
        try
        {
            results = (await CallOnAsync<TransferSubscriptionsResponse>(channel, new TransferSubscriptionsRequest { SubscriptionIds = ids, SendInitialValues = true }, cancellationToken)).Results ?? [];
        }
        catch (OpcUaException ex) when (ex.Status.Code is not (StatusCodes.BadConnectionClosed or StatusCodes.BadCommunicationError or StatusCodes.BadTimeout))
        {
            // A server without TransferSubscriptions: every subscription is created again below.
        }
        for (var i = 0; i < subscriptions.Length; i++)
        {
            if (i < results.Length && results[i].StatusCode.IsGood) continue;
            await RecreateAsync(channel, subscriptions[i], cancellationToken);
        }
    }

    private async Task RecreateAsync(ClientChannel channel, OpcUaSubscription subscription, CancellationToken cancellationToken)
    {
        await CreateOnServerAsync(channel, subscription, cancellationToken);
        var items = subscription.AllItems.ToArray();
        if (items.Length > 0) await CreateItemsOnAsync(channel, subscription, items, cancellationToken);
        subscription.MarkGap();
        SubscriptionRecreated?.Invoke(subscription);
    }

    /// <summary>
    /// Keeps one Publish request outstanding while subscriptions exist. One at a time keeps the notifications of a
    /// subscription in sequence order without reordering; the server queues what changes meanwhile.
    /// </summary>
    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (_subscriptions.IsEmpty)
                {
                    var added = _subscriptionAdded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (_subscriptions.IsEmpty) await added.Task.WaitAsync(cancellationToken);
                    continue;
                }
                var acknowledgements = new List<SubscriptionAcknowledgement>();
                while (acknowledgements.Count < 100 && _acknowledgements.TryDequeue(out var acknowledgement)) acknowledgements.Add(acknowledgement);
                PublishResponse response;
                try
                {
                    var channel = await CurrentChannelAsync(cancellationToken);
                    response = await CallOnAsync<PublishResponse>(channel, new PublishRequest { SubscriptionAcknowledgements = [.. acknowledgements] }, _authenticationToken, PublishTimeout(), cancellationToken);
                }
                catch (OpcUaException ex)
                {
                    foreach (var acknowledgement in acknowledgements) _acknowledgements.Enqueue(acknowledgement);
                    await AfterPublishFailedAsync(ex, cancellationToken);
                    continue;
                }
                await HandlePublishAsync(response, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

        }
    }

    private async Task AfterPublishFailedAsync(OpcUaException error, CancellationToken cancellationToken)
    {
        switch (error.Status.Code)
        {
            case StatusCodes.BadTimeout:
                return;
            case StatusCodes.BadNoSubscription when !_subscriptions.IsEmpty && _ready.Task.IsCompletedSuccessfully:
                // The session survived but the server dropped our subscriptions (their lifetime ran out): create them again.
                foreach (var subscription in _subscriptions.Keys)
                {
                    try
                    {
                        await RecreateAsync(await CurrentChannelAsync(cancellationToken), subscription, cancellationToken);
                    }
                    catch (OpcUaException)
                    {
                        break;
                    }
                }
                return;
            default:
                await Task.Delay(_options.ReconnectMinDelay, _time, cancellationToken);
                return;
        }
    }

    private async Task HandlePublishAsync(PublishResponse response, CancellationToken cancellationToken)
    {
        OpcUaSubscription? subscription = null;
        foreach (var candidate in _subscriptions.Keys)
        {
            if (candidate.Id == response.SubscriptionId) subscription = candidate;
        }
        if (subscription is null) return;
        var message = response.NotificationMessage;
        var keepAlive = message.NotificationData is not { Length: > 0 };
        var missing = subscription.Track(message.SequenceNumber, keepAlive);
        if (missing is null) return;
        foreach (var sequence in missing)
        {
            try
            {
                var republished = await CallAsync<RepublishResponse>(new RepublishRequest { SubscriptionId = subscription.Id, RetransmitSequenceNumber = sequence }, cancellationToken);
                await DeliverAsync(subscription, republished.NotificationMessage, cancellationToken);
            }
            catch (OpcUaException ex) when (ex.Status.Code is StatusCodes.BadMessageNotAvailable or StatusCodes.BadSubscriptionIdInvalid)
            {
                subscription.MarkGap();
            }
        }
        if (keepAlive)
        {
            subscription.CountKeepAlive();
            return;
        }
        await DeliverAsync(subscription, message, cancellationToken);
    }

    private async Task DeliverAsync(OpcUaSubscription subscription, NotificationMessage message, CancellationToken cancellationToken)
    {
        foreach (var data in message.NotificationData ?? [])
        {
            switch (data.Decode())
            {
                case DataChangeNotification change:
                    await subscription.DeliverAsync(change, cancellationToken);
                    break;
                case EventNotificationList events:
                    await subscription.DeliverAsync(events, cancellationToken);
                    break;
                case StatusChangeNotification { Status.IsBad: true }:
                    // The server ended the subscription (e.g. its lifetime ran out): start it again and say values may be missing.
                    await RecreateAsync(await CurrentChannelAsync(cancellationToken), subscription, cancellationToken);
                    break;
            }
        }
        _acknowledgements.Enqueue(new SubscriptionAcknowledgement { SubscriptionId = subscription.Id, SequenceNumber = message.SequenceNumber });
    }

    private TimeSpan PublishTimeout()
    {
        // The server holds a Publish up to a keep-alive period when nothing changes.
        var longest = 0.0;
        foreach (var subscription in _subscriptions.Keys) longest = Math.Max(longest, subscription.RevisedPublishingInterval * Math.Max(1, subscription.RevisedMaxKeepAliveCount));
        return _options.RequestTimeout + TimeSpan.FromMilliseconds(2 * longest);
    }
}
