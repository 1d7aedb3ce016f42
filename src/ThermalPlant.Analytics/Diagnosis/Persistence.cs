namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>Whether a condition has held for a given time, as samples report it.</summary>
internal struct Persistence
{
    private DateTime _since;
    private bool _holding;

    /// <summary>Records the condition at <paramref name="now"/>; true once it has held for <paramref name="seconds"/>.</summary>
    public bool Update(bool condition, DateTime now, double seconds)
    {
        if (!condition)
        {
            _holding = false;
            return false;
        }
        if (!_holding)
        {
            _holding = true;
            _since = now;
        }
        return (now - _since).TotalSeconds >= seconds;
    }

    public void Reset() => _holding = false;
}
