namespace ThermalPlant.Hosting.Supervision;

/// <summary>A host's record of its supervised connections: its health check and metrics learn of each failure here.</summary>
public interface ISupervisedConnections
{
    /// <summary>Records that the loop of <paramref name="name"/> failed with <paramref name="problem"/> and is retried after a backoff.</summary>
    void Failed(string name, string problem);
}
