namespace ThermalPlant.Simulation;

/// <summary>A fault in force since <see cref="Since"/>.</summary>
/// <param name="Id">Id to clear it with.</param>
/// <param name="Spec">What was injected.</param>
/// <param name="Since">When it was injected.</param>
public sealed record ActiveFault(int Id, FaultSpec Spec, DateTimeOffset Since);
