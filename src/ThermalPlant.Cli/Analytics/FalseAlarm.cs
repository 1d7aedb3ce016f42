namespace ThermalPlant.Cli.Analytics;

/// <summary>A new diagnosis raised while the plant ran normally.</summary>
internal sealed record FalseAlarm(int Seed, DateTime At, string Component, string FaultType, string Evidence);
