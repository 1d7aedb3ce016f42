namespace ThermalPlant.Control.Sources;

/// <summary>Where a control source's connection to its server stands.</summary>
public enum SourceConnectionState
{
    /// <summary>Connecting, or re-establishing a lost connection.</summary>
    Connecting,

    /// <summary>Connected: reads go to the server.</summary>
    Connected,

    /// <summary>Connecting failed; the next attempt waits for its delay.</summary>
    Backoff,
}
