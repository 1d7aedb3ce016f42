namespace ThermalPlant.Control.Sources;

/// <summary>Where a control link reads its set point from (an OPC UA node in the Power-to-Gas case).</summary>
public interface IControlSource
{
    /// <summary>A short description for logs, e.g. the endpoint and node.</summary>
    string Description { get; }

    /// <summary>Reads the current value; failures are reported in the result, never thrown (except cancellation).</summary>
    Task<SourceReading> ReadAsync(CancellationToken cancellationToken);
}
