namespace ThermalPlant.Analytics.Tests;

public sealed class AnomalyScoreTests
{
    [Fact]
    public void A_score_carries_its_state()
    {
        var score = new AnomalyScore(0.75, AnomalyState.Anomalous);
        Assert.Equal(0.75, score.Score);
        Assert.Equal(AnomalyState.Anomalous, score.State);
        Assert.NotEqual(score, new AnomalyScore(0.75, AnomalyState.Normal));
    }
}
