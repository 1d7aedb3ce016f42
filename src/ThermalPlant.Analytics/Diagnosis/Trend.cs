namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>
/// An exponentially weighted least-squares line through (time, value) points, in bounded state: the slope with
/// its standard error, and the time at which the line reaches a level with that time's uncertainty.
/// </summary>
internal struct Trend
{
    private double _origin;
    private double _w, _w2, _t, _tt, _y, _ty, _yy;

    /// <summary>Adds a point; earlier points are first weighted down by exp(-<paramref name="decay"/>).</summary>
    public void Add(double time, double value, double decay)
    {
        if (_w == 0) _origin = time;
        var f = Math.Exp(-decay);
        _w *= f; _w2 *= f * f; _t *= f; _tt *= f; _y *= f; _ty *= f; _yy *= f;
        var t = time - _origin;
        _w += 1; _w2 += 1; _t += t; _tt += t * t; _y += value; _ty += t * value; _yy += value * value;
    }

    public readonly bool TrySlope(out double slope, out double standardError)
    {
        slope = standardError = 0;
        var effective = _w * _w / Math.Max(_w2, 1e-300);
        var stt = _tt - (_t * _t / _w);
        if (effective < 5 || !(stt > 0)) return false;
        var sty = _ty - (_t * _y / _w);
        var syy = _yy - (_y * _y / _w);
        slope = sty / stt;
        var residual = Math.Max(0, syy - (slope * sty)) / _w;
        // Residual variance per point, with the effective number of points for the degrees of freedom.
        var variance = residual * effective / Math.Max(1, effective - 2);
        standardError = Math.Sqrt(variance * _w / effective / stt);
        return double.IsFinite(slope);
    }

    /// <summary>Time from <paramref name="now"/> until the line reaches <paramref name="level"/>, with its one-sigma uncertainty; false unless the line rises significantly.</summary>
    public readonly bool TryTimeTo(double level, double now, out double time, out double sigma)
    {
        time = sigma = 0;
        if (!TrySlope(out var slope, out var error) || slope <= 2 * error || slope <= 0) return false;
        var mean = _y / _w;
        var meanTime = (_t / _w) + _origin;
        var fitted = mean + (slope * (now - meanTime));
        time = Math.Max(0, (level - fitted) / slope);
        sigma = time * error / slope;
        return double.IsFinite(time) && double.IsFinite(sigma);
    }
}
