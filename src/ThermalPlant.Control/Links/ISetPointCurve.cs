namespace ThermalPlant.Control.Links;

/// <summary>
/// Converts a control link's source value into the set point it writes (for example a calibration table). The
/// curve decides what a value outside its range gives, and says so, so that the link can log it.
/// </summary>
public interface ISetPointCurve
{
    /// <summary>The lowest and highest source value the curve covers, for logs.</summary>
    (double Minimum, double Maximum) Domain { get; }

    /// <summary>The set point for <paramref name="value"/> (any double, also infinite or huge) and the rule that gave it.</summary>
    SetPointConversion Convert(double value);
}

/// <summary>A converted set point and how it was found.</summary>
/// <param name="SetPoint">The set point, in the target's unit.</param>
/// <param name="Range">Whether the source value lay within the curve's domain.</param>
/// <param name="Rule">The rule that applied, for logs (e.g. <c>Interpolated</c>).</param>
public readonly record struct SetPointConversion(double SetPoint, CurveRange Range, string Rule);

/// <summary>Where a source value lay against a curve's domain.</summary>
public enum CurveRange
{
    /// <summary>Within the domain.</summary>
    Inside,
    /// <summary>At or above its top: the curve clamped it.</summary>
    Above,
    /// <summary>Below its bottom: the curve clamped it.</summary>
    Below,
}
