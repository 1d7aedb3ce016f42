namespace ThermalPlant.Analytics;

/// <summary>What a detector can say about a tag at its latest sample.</summary>
public enum AnomalyState
{
    /// <summary>Not enough history yet to score: the detector is learning the tag's normal behaviour.</summary>
    Learning = 0,
    /// <summary>The latest sample fits the tag's learned behaviour.</summary>
    Normal = 1,
    /// <summary>The latest sample does not fit: its score is at or above the detector's threshold.</summary>
    Anomalous = 2,
}
