namespace ThermalPlant.Analytics.Scalar;

/// <summary>What a scalar detector did with the samples it was given, by rule.</summary>
/// <param name="Scored">Samples taken into the model (scored, or learned from while learning).</param>
/// <param name="NonFinite">NaN or infinite values: skipped.</param>
/// <param name="OutOfOrder">Timestamps earlier than the latest taken: skipped.</param>
/// <param name="Duplicates">Timestamps equal to the latest taken: skipped.</param>
/// <param name="Clamped">Finite values beyond ±1e150, clamped to it and scored (so squares cannot overflow).</param>
public readonly record struct ScalarSampleCounts(long Scored, long NonFinite, long OutOfOrder, long Duplicates, long Clamped);
