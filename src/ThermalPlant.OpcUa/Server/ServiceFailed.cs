namespace ThermalPlant.OpcUa.Server;

/// <summary>
/// A request that failed with an exception the server did not expect (a fault of ours, not the client's): it was
/// answered with BadInternalError and the connection stays. Raised for the host to log with the exception.
/// </summary>
/// <param name="Service">The service, e.g. <c>Read</c>, <c>ActivateSession</c>.</param>
/// <param name="Exception">What was thrown.</param>
public sealed record ServiceFailed(string Service, Exception Exception);
