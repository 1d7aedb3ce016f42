using System.Net;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.AddressSpace;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>
/// Every request that would make the server allocate in proportion to a number the client sends is bounded, and the
/// bounds are shown under Server/ServerCapabilities as Part 5 defines them. Through our client over loopback.
/// </summary>
public sealed class OperationLimitTests : IAsyncLifetime
{
    private static readonly OpcUaServerOptions Options = new()
    {
        Address = IPAddress.Loopback,
        Port = 0,
        HostName = "127.0.0.1",
        MaxNodesPerOperation = 5,
        MaxMonitoredItemsPerCall = 3,
        MaxReferencesPerNode = 10,
        MaxSubscriptions = 2,
        MaxMonitoredItems = 4,
        MaxSessions = 7,
        MaxSubscriptionsPerSession = 6,
        MaxMonitoredItemsPerSubscription = 9,
        MaxQueueSize = 11,
        MaxContinuationPoints = 4,
    };

    private OpcUaServer _server = null!;
    private NodeId _folder = NodeId.Null;
    private NodeId[] _variables = [];

    private string Url => $"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/";

    public Task InitializeAsync()
    {
        _server = new OpcUaServer(Options);
        var ns = _server.AddressSpace.RegisterNamespace("urn:thermalplant:plant");
        _folder = NodeId.Of("Plant", ns);
        _server.AddressSpace.AddObject(NodeId.Of(ObjectIds.ObjectsFolder), _folder, new QualifiedName(ns, "Plant"));
        _variables = new NodeId[30];
        for (var i = 0; i < _variables.Length; i++)
        {
            _variables[i] = NodeId.Of($"Plant.V{i}", ns);
            _server.AddressSpace.AddVariable(_folder, new UaVariable(_variables[i], new QualifiedName(ns, $"V{i}"), $"V{i}", NodeId.Of(DataTypeIds.Double)))
                .SetValue(new DataValue { Value = Variant.From((double)i), SourceTimestamp = DateTime.UtcNow });
        }
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_limits_are_shown_under_ServerCapabilities_and_its_OperationLimits()
    {
        await using var client = await ConnectAsync();
        (uint Id, object Value)[] expected =
        [
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead, 5u),
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite, 5u),
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse, 5u),
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRegisterNodes, 5u),
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds, 5u),
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData, 5u),
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadEvents, 5u),
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall, 5u),
            (VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall, 3u),
            (VariableIds.Server_ServerCapabilities_MaxBrowseContinuationPoints, (ushort)4),
            (VariableIds.Server_ServerCapabilities_MaxHistoryContinuationPoints, (ushort)4),
            (VariableIds.Server_ServerCapabilities_MaxSessions, 7u),
            (VariableIds.Server_ServerCapabilities_MaxSubscriptions, 2u),
            (VariableIds.Server_ServerCapabilities_MaxMonitoredItems, 4u),
            (VariableIds.Server_ServerCapabilities_MaxSubscriptionsPerSession, 6u),
            (VariableIds.Server_ServerCapabilities_MaxMonitoredItemsPerSubscription, 9u),
            (VariableIds.Server_ServerCapabilities_MaxMonitoredItemsQueueSize, 11u),
            (VariableIds.Server_ServerCapabilities_MaxArrayLength, (uint)EncodingLimits.Default.MaxArrayLength),
            (VariableIds.Server_ServerCapabilities_MaxStringLength, (uint)EncodingLimits.Default.MaxStringLength),
            (VariableIds.Server_ServerCapabilities_MaxByteStringLength, (uint)EncodingLimits.Default.MaxByteStringLength),
        ];
        foreach (var (id, value) in expected)
        {
            var read = await client.ReadValueAsync(NodeId.Of(id));
            Assert.True(read.Status.IsGood, $"i={id}: {read.Status}");
            Assert.Equal(value, read.Value.Value);
        }
    }

    [Fact]
    public async Task Requests_with_more_operations_than_the_limits_answer_BadTooManyOperations()
    {
        await using var client = await ConnectAsync();
        var six = _variables[..6];

        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<RegisterNodesResponse>(new RegisterNodesRequest { NodesToRegister = six }));
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<CallResponse>(new CallRequest
        {
            MethodsToCall = [.. six.Select(_ => new CallMethodRequest { ObjectId = NodeId.Of(ObjectIds.Server), MethodId = NodeId.Of(MethodIds.Server_GetMonitoredItems), InputArguments = [Variant.From(1u)] })],
        }));
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<HistoryReadResponse>(new HistoryReadRequest
        {
            HistoryReadDetails = ExtensionObject.From(new ReadEventDetails { StartTime = DateTime.UnixEpoch, EndTime = DateTime.UtcNow, Filter = EventFilters.Select([EventFilters.Field("Message")]) }),
            NodesToRead = [.. six.Select(_ => new HistoryReadValueId { NodeId = NodeId.Of(ObjectIds.Server) })],
        }));
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<UnregisterNodesResponse>(new UnregisterNodesRequest { NodesToUnregister = six }));
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<BrowseNextResponse>(new BrowseNextRequest { ContinuationPoints = [.. six.Select(_ => new byte[16])] }));
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.ReadAsync([.. six.Select(n => new ReadValueId { NodeId = n, AttributeId = 13 })]));

        var subscription = await client.CallAsync<CreateSubscriptionResponse>(new CreateSubscriptionRequest { RequestedPublishingInterval = 1000, RequestedLifetimeCount = 30, RequestedMaxKeepAliveCount = 10, PublishingEnabled = true });
        uint[] fourIds = [1, 2, 3, 4];
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<DeleteMonitoredItemsResponse>(new DeleteMonitoredItemsRequest { SubscriptionId = subscription.SubscriptionId, MonitoredItemIds = fourIds }));
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<SetMonitoringModeResponse>(new SetMonitoringModeRequest { SubscriptionId = subscription.SubscriptionId, MonitoringMode = MonitoringMode.Reporting, MonitoredItemIds = fourIds }));
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<SetTriggeringResponse>(new SetTriggeringRequest { SubscriptionId = subscription.SubscriptionId, TriggeringItemId = 1, LinksToAdd = [2, 3], LinksToRemove = [4, 5] }));
        await AssertFault(StatusCodes.BadTooManyOperations, () => client.CallAsync<DeleteSubscriptionsResponse>(new DeleteSubscriptionsRequest { SubscriptionIds = [1, 2, 3, 4, 5, 6, 7] }));

        // At the limits the same requests are served.
        Assert.Equal(5, (await client.CallAsync<RegisterNodesResponse>(new RegisterNodesRequest { NodesToRegister = _variables[..5] })).RegisteredNodeIds!.Length);
        var deleted = await client.CallAsync<DeleteMonitoredItemsResponse>(new DeleteMonitoredItemsRequest { SubscriptionId = subscription.SubscriptionId, MonitoredItemIds = [1, 2, 3] });
        Assert.All(deleted.Results!, r => Assert.Equal(StatusCodes.BadMonitoredItemIdInvalid, r.Code));
    }

    [Fact]
    public async Task Subscriptions_and_monitored_items_of_all_sessions_together_are_bounded()
    {
        await using var first = await ConnectAsync();
        await using var second = await ConnectAsync();
        var one = await CreateSubscriptionAsync(first);
        var two = await CreateSubscriptionAsync(second);
        await AssertFault(StatusCodes.BadTooManySubscriptions, () => CreateSubscriptionAsync(second));

        Assert.All((await CreateItemsAsync(first, one, _variables[..3])).Results!, r => Assert.True(r.StatusCode.IsGood));
        // One more fits the server's 4; two more do not, whichever session asks.
        await AssertFault(StatusCodes.BadTooManyMonitoredItems, () => CreateItemsAsync(second, two, _variables[3..5]));
        Assert.True(Assert.Single((await CreateItemsAsync(second, two, _variables[3..4])).Results!).StatusCode.IsGood);
        Assert.Equal(4, _server.MonitoredItemCount);
    }

    [Fact]
    public async Task A_browse_for_all_references_gets_them_in_pages_of_the_server_limit()
    {
        await using var client = await ConnectAsync();
        var response = await client.CallAsync<BrowseResponse>(new BrowseRequest
        {
            RequestedMaxReferencesPerNode = 0,
            NodesToBrowse = [new BrowseDescription { NodeId = _folder, BrowseDirection = BrowseDirection.Forward, IncludeSubtypes = true, ResultMask = 0x3F }],
        });
        var result = Assert.Single(response.Results!);
        Assert.Equal(10, result.References!.Length);
        Assert.NotNull(result.ContinuationPoint);
        await client.CallAsync<BrowseNextResponse>(new BrowseNextRequest { ReleaseContinuationPoints = true, ContinuationPoints = [result.ContinuationPoint] });

        // Our client follows the points: every child arrives.
        var all = await client.BrowseAsync(_folder);
        Assert.Equal(_variables.Length, all.Count(r => r.NodeClass == NodeClass.Variable));
    }

    private async Task<OpcUaClient> ConnectAsync()
    {
        var client = await OpcUaClient.ConnectAsync(Url);
        try
        {
            await client.OpenSessionAsync("limits");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private static async Task<uint> CreateSubscriptionAsync(OpcUaClient client) =>
        (await client.CallAsync<CreateSubscriptionResponse>(new CreateSubscriptionRequest { RequestedPublishingInterval = 1000, RequestedLifetimeCount = 30, RequestedMaxKeepAliveCount = 10, PublishingEnabled = true })).SubscriptionId;

    private static async Task<CreateMonitoredItemsResponse> CreateItemsAsync(OpcUaClient client, uint subscription, NodeId[] nodes) =>
        await client.CallAsync<CreateMonitoredItemsResponse>(new CreateMonitoredItemsRequest
        {
            SubscriptionId = subscription,
            TimestampsToReturn = TimestampsToReturn.Both,
            ItemsToCreate =
            [
                .. nodes.Select((n, i) => new MonitoredItemCreateRequest
                {
                    ItemToMonitor = new ReadValueId { NodeId = n, AttributeId = 13 },
                    MonitoringMode = MonitoringMode.Reporting,
                    RequestedParameters = new MonitoringParameters { ClientHandle = (uint)i, SamplingInterval = 1000, QueueSize = 1, DiscardOldest = true },
                }),
            ],
        });

    private static async Task AssertFault(uint status, Func<Task> call)
    {
        var fault = await Assert.ThrowsAsync<OpcUaException>(call);
        Assert.Equal(status, fault.Status.Code);
    }
}
