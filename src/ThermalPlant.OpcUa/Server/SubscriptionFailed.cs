namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// A subscription's publishing cycle failed with an exception the server did not expect (a fault of ours or of a host's
/// value source): the subscription was deleted and its client told with a StatusChangeNotification (BadInternalError);
/// the server and the session go on. Raised for the host to log with the exception.
/// </summary>
/// <param name="SubscriptionId">The subscription deleted.</param>
/// <param name="Exception">What was thrown.</param>
public sealed record SubscriptionFailed(uint SubscriptionId, Exception Exception);
