namespace ThermalPlant.Analytics;

/// <summary>A detector's verdict on one sample.</summary>
/// <param name="Score">How unusual the sample is, in [0, 1]; 0 while learning.</param>
/// <param name="State">Learning, normal or anomalous.</param>
public readonly record struct AnomalyScore(double Score, AnomalyState State);
