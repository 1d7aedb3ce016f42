namespace ThermalPlant.Analytics.Service.Tests;

/// <summary>
/// Tests that run the analytics service with its engine, one at a time: its Prometheus gauges are process-wide, so two
/// services running at once in the test process would set the same gauges.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AnalyticsHostCollection
{
    public const string Name = "analytics-host";
}
