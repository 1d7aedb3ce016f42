using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// The condition methods of Part 9 on an <see cref="OpcUaClient"/>, called as UaExpert calls them: on the condition,
/// by the type's method id. Each returns the method's status (BadEventIdUnknown for an event that is not the
/// condition's latest, BadUserAccessDenied for a role without the permission ...).
/// </summary>
public static class ConditionMethods
{
    /// <summary>Acknowledges the condition's event <paramref name="eventId"/> (its latest) with a comment.</summary>
    public static async Task<StatusCode> AcknowledgeAsync(this OpcUaClient client, NodeId condition, byte[] eventId, string? comment, CancellationToken cancellationToken = default) =>
        await Commented(client, condition, MethodIds.AcknowledgeableConditionType_Acknowledge, eventId, comment, cancellationToken);

    /// <summary>Confirms the condition's event <paramref name="eventId"/> (its latest) with a comment.</summary>
    public static async Task<StatusCode> ConfirmAsync(this OpcUaClient client, NodeId condition, byte[] eventId, string? comment, CancellationToken cancellationToken = default) =>
        await Commented(client, condition, MethodIds.AcknowledgeableConditionType_Confirm, eventId, comment, cancellationToken);

    /// <summary>Adds a comment to the condition's event <paramref name="eventId"/> (its latest).</summary>
    public static async Task<StatusCode> AddCommentAsync(this OpcUaClient client, NodeId condition, byte[] eventId, string? comment, CancellationToken cancellationToken = default) =>
        await Commented(client, condition, MethodIds.ConditionType_AddComment, eventId, comment, cancellationToken);

    /// <summary>Enables or disables the condition.</summary>
    public static async Task<StatusCode> EnableConditionAsync(this OpcUaClient client, NodeId condition, bool enable, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var method = enable ? MethodIds.ConditionType_Enable : MethodIds.ConditionType_Disable;
        return (await client.CallMethodAsync(condition, NodeId.Of(method), [], cancellationToken)).StatusCode;
    }

    /// <summary>Asks the server to send the retained conditions to <paramref name="subscription"/>'s event items, between RefreshStart and RefreshEnd events.</summary>
    public static async Task<StatusCode> ConditionRefreshAsync(this OpcUaClient client, OpcUaSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(subscription);
        var result = await client.CallMethodAsync(NodeId.Of(ObjectTypeIds.ConditionType), NodeId.Of(MethodIds.ConditionType_ConditionRefresh), [Variant.From(subscription.Id)], cancellationToken);
        return result.StatusCode;
    }

    private static async Task<StatusCode> Commented(OpcUaClient client, NodeId condition, uint method, byte[] eventId, string? comment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(eventId);
        Variant[] inputs = [new Variant(BuiltInType.ByteString, eventId), new Variant(BuiltInType.LocalizedText, new LocalizedText(null, comment))];
        return (await client.CallMethodAsync(condition, NodeId.Of(method), inputs, cancellationToken)).StatusCode;
    }
}
