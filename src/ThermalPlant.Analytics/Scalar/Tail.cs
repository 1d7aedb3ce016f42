namespace ThermalPlant.Analytics.Scalar;

/// <summary>Gaussian tail probabilities in log form, so that far tails neither underflow nor cost more.</summary>
internal static class Tail
{
    private const double Ln10 = 2.302585092994046;

    /// <summary>
    /// -log10 of the two-sided tail probability P(|Z| &gt;= |z|) of a standard normal: 0 at z = 0, 1.3 at 1.96,
    /// 6.7 at 5. Uses erfc(x) = t·exp(-x² + P(t)) with t = 1/(1 + x/2) (Chebyshev fit, relative error below 1.2e-7).
    /// </summary>
    public static double TwoSidedSurprise(double z)
    {
        var x = Math.Abs(z) * 0.7071067811865476;
        if (double.IsNaN(x)) return 0;
        if (x > 1e150) x = 1e150;
        var t = 1.0 / (1.0 + (0.5 * x));
        var poly = -1.26551223 + (t * (1.00002368 + (t * (0.37409196 + (t * (0.09678418 + (t * (-0.18628806
            + (t * (0.27886807 + (t * (-1.13520398 + (t * (1.48851587 + (t * (-0.82215223 + (t * 0.17087277)))))))))))))))));
        var lnErfc = Math.Log(t) - (x * x) + poly;
        return Math.Max(0, -lnErfc / Ln10);
    }
}
