using System.Runtime.CompilerServices;

namespace ThermalPlant.Analytics.Scalar;

/// <summary>
/// The default scalar detector: an ensemble of cheap causal statistics over one tag (see <see cref="ScalarComponents"/>),
/// each calibrated against its own recent distribution on this series, combined as the strongest surprise
/// (-log10 of a tail probability, corrected for the number of parts) and mapped to a score in [0, 1]
/// (surprise / 10: 0.5 is a one-in-100,000 event). After an alarm its repeats are damped for a while so that one
/// anomaly gives one early detection, and the slow statistics do not learn from the anomaly; a level that stays
/// shifted becomes the new normal when the damping ends. O(1) work and no allocation per sample; about 1.5 KB of state.
/// </summary>
public sealed class EnsembleDetector : ScalarDetector
{
    internal const byte StateKind = 1;
    private const double SurpriseScale = 10;
    private const double Ln10 = 2.302585092994046;
    private const double SuppressedScale = 0.25;
    private const double ReAlarmFactor = 2;
    private const double CalibrationClip = 12;
    private const double ShiftedAfterAlarm = 3;
    private const double SuspicionLevel = 0.6;
    // Visits of an hour of the day, and of an hour of the week, before its profile scores: two weeks make a weekly
    // profile, so that a weekly pattern is held before most of its changes can come.
    private const int MinDayVisits = 3;
    private const int MinWeekVisits = 2;
    private const int SeasonalMemoryVisits = 7;
    // A visit moves an hour's mean by at most this many residual deviations (before its 1/visits weight), so an
    // anomalous day or weekend (a stuck run, a changed pattern) is not learned as the pattern and misfit a week later.
    private const double FoldClip = 2;
    private const int DayBins = 24;
    private const int WeekBins = 7 * 24;
    private const int SeasonalBins = DayBins + WeekBins;
    // The CUSUM's allowance per sample and clip, in long-run standard deviations: drifts of a quarter of one per
    // sample and more build it; a single excursion adds at most DriftClip.
    private const double DriftAllowance = 0.25;
    private const double DriftClip = 3;
    // Counts above this are not "small counts": their normal approximation is good.
    private const double MaxCount = 1e6;
    // Memory of the quiet statistic (a signal gone quiet shows within a few samples, where the fast spread's 32 take long).
    private const double QuietAlpha = 1.0 / 8;

    private readonly ScalarComponents _parts;
    private readonly double _fastAlpha;
    private readonly double _shiftStandardError;
    private readonly double _varianceLogStandardError;
    private readonly double _quietLogStandardError;
    private readonly double _logGapFactor;
    private readonly double _partCorrection;
    private Model _m;

    /// <summary>Makes a detector with the default settings and every part.</summary>
    public EnsembleDetector()
        : this(new ScalarDetectorOptions())
    {
    }

    /// <summary>Makes a detector with the given settings; <see cref="ScalarDetectorOptions.Components"/> chooses the parts.</summary>
    public EnsembleDetector(ScalarDetectorOptions options)
        : base(StateKind, options)
    {
        _parts = options.Components;
        _fastAlpha = 1.0 / options.FastWindow;
        // Standard deviation of an exponentially weighted mean of unit-variance white noise.
        _shiftStandardError = Math.Sqrt(_fastAlpha / (2 - _fastAlpha));
        // log of a mean of chi-square(1) variables: relative spread sqrt(2) times the above.
        _varianceLogStandardError = Math.Sqrt(2) * _shiftStandardError;
        _quietLogStandardError = Math.Sqrt(2 * QuietAlpha / (2 - QuietAlpha));
        _logGapFactor = Math.Log(options.GapFactor);
        // The drift and shift parts both measure how far the mean has moved (strongly correlated tests): one family
        // in the correction for the number of parts.
        var family = (_parts & ScalarComponents.Shift) != 0 ? _parts & ~ScalarComponents.Drift : _parts;
        var count = 0;
        for (var p = (int)family; p != 0; p &= p - 1) count++;
        _partCorrection = count > 1 ? Math.Log10(count) : 0;
        _m = Model.Initial();
    }

    /// <inheritdoc />
    public override bool IsLearning => _m.N < Options.LearningSamples;

    private protected override AnomalyScore Score(DateTime timestampUtc, double elapsedSeconds, double value)
    {
        ref var m = ref _m;
        var options = Options;
        m.N++;
        var gap = TrackInterval(ref m, elapsedSeconds);
        if (!m.NotCounts && (value < 0 || value > MaxCount || value != Math.Floor(value))) m.NotCounts = true;

        // 1. Every statistic of this sample against the state before it; only the fast means move here.
        if (m.LevelN == 0)
        {
            m.Mean = value;
            m.FastMean = value;
        }
        // For a while after a change became the new normal (a re-baseline), the series going back to the normal before
        // it is the end of the anomaly already detected, not a new one: the level is scored against the wider of the
        // two spreads and the nearest mean between the two (see VarianceReference for the spread of differences).
        var wideVar = m.PriorLeft > 0 ? Math.Max(m.Var, m.PriorVar) : m.Var;
        if (m.PriorMeanLeft > 0) wideVar = Math.Max(wideVar, m.PriorMeanVar);
        var sigma = Math.Sqrt(wideVar) + (1e-9 * Math.Abs(m.Mean)) + 1e-12;
        var zLevel = (value - MeanReference(in m, value)) / sigma;

        var fastAlpha = Math.Max(_fastAlpha, 1.0 / m.N);
        var fastResidual = value - m.FastMean;
        m.FastMean += fastAlpha * fastResidual;
        m.FastVar = (1 - fastAlpha) * (m.FastVar + (fastAlpha * fastResidual * fastResidual));
        var zShift = (m.FastMean - MeanReference(in m, m.FastMean)) / (sigma * _shiftStandardError);
        if (m.PriorMeanLeft > 0)
        {
            // The fast mean back within a standard error of the mean before the shift: that normal is taken back.
            if (Math.Abs(m.FastMean - m.PriorMean) < Math.Sqrt(m.PriorMeanVar) * _shiftStandardError)
            {
                (m.Mean, m.Var, m.PriorMeanLeft) = (m.PriorMean, m.PriorMeanVar, 0);
            }
            else
            {
                m.PriorMeanLeft--;
            }
        }

        var zVariance = double.NaN;
        var zQuiet = double.NaN;
        var d2 = double.NaN;
        var equal = false;
        if (m.HasPrev && !gap)
        {
            var diff = value - m.Prev;
            equal = Math.Abs(diff) <= 1e-12 * Math.Max(Math.Abs(value), Math.Abs(m.Prev));
            // A stuck run already accepted as the new normal is a pause of the differences, not a change of their
            // variance: their spreads would fall without end, and the first small move after it read as a quiet spell.
            var paused = equal && (m.StuckAccepted || ZeroCount(in m, value));
            if (!paused)
            {
                m.DiffN++;
                d2 = diff * diff;
                m.DiffFast += Math.Max(_fastAlpha, 1.0 / m.DiffN) * (d2 - m.DiffFast);
                m.DiffQuiet += Math.Max(QuietAlpha, 1.0 / m.DiffN) * (d2 - m.DiffQuiet);
                if (m.PriorLeft > 0) m.PriorLeft--;
            }
            if (!paused && m.DiffN > options.FastWindow)
            {
                var reference = VarianceReference(in m, m.DiffFast);
                var floor = (1e-12 * reference) + 1e-300;
                zVariance = Math.Log((m.DiffFast + floor) / (reference + floor)) / _varianceLogStandardError;
                // Only a fall: a rise shows in the fast spread at once (one large difference is enough).
                zQuiet = Math.Min(0, Math.Log((m.DiffQuiet + floor) / (VarianceReference(in m, m.DiffQuiet) + floor)) / _quietLogStandardError);
                // Back within a standard error of the normal before the change: that normal is taken back at once,
                // rather than crept to while the slow spread still holds the change.
                if (m.PriorLeft > 0 && Math.Abs(Math.Log((m.DiffFast + floor) / (m.PriorDiffSlow + floor))) < _varianceLogStandardError)
                {
                    (m.DiffSlow, m.Var) = (m.PriorDiffSlow, m.PriorVar);
                    m.PriorLeft = 0;
                }
            }
            m.Run = equal ? m.Run + 1 : 0;
            if (!equal) m.StuckAccepted = false;
        }
        m.Prev = value;
        m.HasPrev = true;

        var seasonal = ScoreSeasonal(ref m, timestampUtc, value);
        // The profiles learn from suspicious samples too: a weekend scored against a daily profile before the week's
        // hours were known looks anomalous, and were it kept out its hours of the week would never be learned. Only an
        // alarm's damping is kept out of the hours that already score (AddToProfiles); a visit's step is clipped (Fold).
        AddToProfiles(ref m.Seasonal, value, m.SuppressLeft > 0);

        // 2. The score.
        var learning = m.N <= options.LearningSamples;
        // The drift part builds only once the long-run spread it is scaled by has been measured over a slow window: a
        // swing slower than the fast mean (a load cycle) measured over less of itself would read as a drift.
        if (!learning && m.CalN >= Math.Max(options.LearningSamples, options.SlowWindow)) Accumulate(ref m, zLevel, seasonal);
        var surprise = learning ? 0 : Surprise(in m, zLevel, zShift, zVariance, zQuiet, seasonal, CountSurprise(in m, value, seasonal));
        var score = Math.Min(1, surprise / SurpriseScale);
        var state = learning ? AnomalyState.Learning : AnomalyState.Normal;
        var damped = m.SuppressLeft > 0;
        if (m.SuppressLeft > 0)
        {
            if (surprise >= ReAlarmFactor * m.AlarmSurprise)
            {
                (m.SuppressLeft, m.AlarmSurprise, state) = (options.SuppressSamples, surprise, AnomalyState.Anomalous);
                (m.DriftUp, m.DriftDown) = (0, 0);
            }
            else
            {
                // A statistic that keeps growing after its alarm (a fast mean still catching up) raises the bar with it:
                // only a jump to twice the strongest surprise of this episode is a new anomaly.
                m.AlarmSurprise = Math.Max(m.AlarmSurprise, surprise);
                score *= SuppressedScale;
                if (--m.SuppressLeft == 0) Rebaseline(ref m, zShift, zVariance, seasonal);
            }
        }
        else if (score >= options.AlarmThreshold)
        {
            (m.SuppressLeft, m.AlarmSurprise, state) = (options.SuppressSamples, surprise, AnomalyState.Anomalous);
            // A detection answers the drift's evidence so far; it builds again only if the drift goes on.
            (m.DriftUp, m.DriftDown) = (0, 0);
        }
        if (score >= options.AlarmThreshold) state = AnomalyState.Anomalous;

        // 3. The slow statistics learn only from samples that look normal, so an anomaly that builds up (a drift, a
        // slow shift) does not teach them that it is normal before it alarms. A suspicion that lasts as long as an
        // alarm's damping is taken as the new normal, so they cannot stay frozen.
        var suspicious = !learning && (m.SuppressLeft > 0 || score >= SuspicionLevel * options.AlarmThreshold);
        if (suspicious && m.SuppressLeft == 0 && ++m.SuspiciousRun >= Math.Max(1, options.SuppressSamples))
        {
            Rebaseline(ref m, zShift, zVariance, seasonal);
            suspicious = false;
        }
        if (!suspicious)
        {
            m.SuspiciousRun = 0;
            Learn(ref m, value, sigma, d2, equal, seasonal);
        }
        RecentreSeasonal(ref m, seasonal);
        // The level part's calibration learns from suspicious samples too: a series whose normal has heavy tails must
        // teach it so. The parts that build up over many samples learn only from normal-looking ones.
        if (m.N > options.LearningSamples / 2)
        {
            if (!damped) CalibrateLevel(ref m, zLevel);
            if (m.SuppressLeft == 0)
            {
                m.CalN++;
                if (!suspicious) Calibrate(ref m, zShift, zVariance, zQuiet, seasonal);
            }
        }
        return new AnomalyScore(score, state);
    }

    // The profiles' offsets move only at a re-baseline, while the raw mean follows the series on its own: a residual
    // left biased against the profile (a drift that went on after its alarm's re-baseline, a slow change that never
    // alarmed) stayed so for days, its spread learned the bias as noise, and a later shift back towards the profile
    // hid in it. A fast residual mean that stays on one side, at least ShiftedAfterAlarm standard errors out, for as
    // long as an alarm's damping is such a bias, and the offsets are moved by it. The test is on the statistic's
    // Gaussian scale, not its calibrated one: a calibration that has learned the bias must not hide it. Under the
    // normal the fast mean (32 samples) cannot stay 3 standard errors out for 150 samples; on an autocorrelated
    // residual it can, and then the offsets follow its slow wander, as the raw mean does.
    private void RecentreSeasonal(ref Model m, SeasonalScore seasonal)
    {
        var biased = seasonal.Active && m.SuppressLeft == 0 && Math.Abs(seasonal.Shift) >= ShiftedAfterAlarm
            && (m.BiasRun == 0 || Math.Sign(seasonal.Shift) == m.BiasSign);
        if (!biased)
        {
            (m.BiasRun, m.BiasSign) = (0, 0);
            return;
        }
        m.BiasSign = Math.Sign(seasonal.Shift);
        if (++m.BiasRun < Math.Max(1, Options.SuppressSamples)) return;
        (m.BiasRun, m.BiasSign) = (0, 0);
        MoveOffsets(ref m.Seasonal);
    }

    private static double MoveOffsets(ref Seasonal s)
    {
        // A shift seen under the weekly profile moves both profiles. One seen under the daily profile moves only
        // the daily one: before the hours of the week are known, a weekend reads as a shift under it and back
        // again on Monday, and the hours of the week learned in between would be off by the weekend's step.
        var week = s.WeekResVar <= s.DayResVar && s.WeekResN > 0;
        var shift = week ? s.WeekResFast : s.DayResFast;
        s.Offset += shift;
        if (week) s.WeekOffset += shift;
        (s.DayResFast, s.WeekResFast) = (0, 0);
        return shift;
    }

    private double Surprise(in Model m, double zLevel, double zShift, double zVariance, double zQuiet, SeasonalScore seasonal, double countSurprise)
    {
        var surprise = 0.0;
        if ((_parts & ScalarComponents.Level) != 0) surprise = Math.Max(countSurprise, TailAdjusted(in m, Tail.TwoSidedSurprise(zLevel / Scale(m.CalLevel))));
        if ((_parts & ScalarComponents.Shift) != 0) surprise = Math.Max(surprise, Tail.TwoSidedSurprise(zShift / Scale(m.CalShift)));
        if ((_parts & ScalarComponents.Variance) != 0 && !double.IsNaN(zVariance))
        {
            surprise = Math.Max(surprise, Tail.TwoSidedSurprise(zVariance / Scale(m.CalVariance)));
            surprise = Math.Max(surprise, Tail.TwoSidedSurprise(zQuiet / Scale(m.CalQuiet)));
        }
        // The seasonal part becomes active days after the start: it scores once its own calibration has seen enough
        // (a slow window after the weekly profile took over and the calibration started anew).
        if ((_parts & ScalarComponents.Seasonal) != 0 && seasonal.Active && m.CalSeasonalN >= (m.Seasonal.WeekChosen ? Options.SlowWindow : Options.LearningSamples))
        {
            surprise = Math.Max(surprise, Tail.TwoSidedSurprise(seasonal.Level / Scale(m.CalSeasonal)));
            surprise = Math.Max(surprise, Tail.TwoSidedSurprise(seasonal.Shift / Scale(m.CalSeasonalShift)));
        }
        if ((_parts & ScalarComponents.Stuck) != 0) surprise = Math.Max(surprise, StuckSurprise(in m));
        if ((_parts & ScalarComponents.Drift) != 0) surprise = Math.Max(surprise, DriftSurprise(in m));
        return Math.Max(0, surprise - _partCorrection);
    }

    // A stationary CUSUM with unit-variance steps exceeds h with probability about exp(-2·k·h): a surprise of 2·k·h/ln 10.
    private static double DriftSurprise(in Model m) => 2 * DriftAllowance * Math.Max(m.DriftUp, m.DriftDown) / Ln10;

    // The drift part's CUSUM steps: the residual the level (or seasonal) part scores, divided by the long-run
    // inflation its fast mean shows on this series (about 1 for white noise, far more for autocorrelated series,
    // whose residuals wander), and clipped, so that only a lasting one-sided move builds it.
    private static void Accumulate(ref Model m, double zLevel, SeasonalScore seasonal)
    {
        // Against the daily profile only once the hour of week has been seen too: until then a weekly pattern (a
        // weekend) would look like a two-day drift. The raw residual's inflation holds the daily swing instead.
        var (residual, inflation) = seasonal.Active && seasonal.WeekActive ? (seasonal.Level, m.DriftSeasonalInflation) : (zLevel, m.DriftInflation);
        var step = Math.Clamp(residual / Math.Sqrt(Math.Max(1, inflation)), -DriftClip, DriftClip);
        m.DriftUp = Math.Max(0, m.DriftUp + step - DriftAllowance);
        m.DriftDown = Math.Max(0, m.DriftDown - step - DriftAllowance);
    }

    private void Learn(ref Model m, double value, double sigma, double d2, bool equal, SeasonalScore seasonal)
    {
        UpdateLevel(ref m, value, sigma);
        if (!double.IsNaN(d2))
        {
            var slowAlpha = 1.0 / Math.Min(m.DiffN, Options.SlowWindow);
            m.DiffSlow += slowAlpha * (d2 - m.DiffSlow);
            m.RepeatRate += slowAlpha * ((equal ? 1 : 0) - m.RepeatRate);
        }
        LearnSeasonal(ref m, seasonal);
    }

    // The spread of first differences a change of variance is measured against: the slow one, or, for a while after a
    // change of variance became the new normal, the nearest spread between it and the normal before the change. A
    // spread going back to what it was before (a stuck sensor moving again, a quiet or noisy spell ending) is the end
    // of the anomaly already detected, not a new one.
    private static double VarianceReference(in Model m, double spread)
    {
        if (m.PriorLeft == 0) return m.DiffSlow;
        return Math.Clamp(spread, Math.Min(m.DiffSlow, m.PriorDiffSlow), Math.Max(m.DiffSlow, m.PriorDiffSlow));
    }

    // A series of small counts (every value so far a whole number from 0 up) has a lower tail far lighter than a
    // normal one of its spread: Poisson(λ) gives 0 with probability e^-λ. A value below the expected count (the
    // seasonal profile's, or the slow mean) is scored by the Poisson lower tail's Chernoff bound, λ - x + x·ln(x/λ)
    // nats, divided by the series' dispersion (variance over mean, at least 1) so over-dispersed counts are read
    // less surely; never more sensitively than the bound says. Part of the level part.
    private static double CountSurprise(in Model m, double value, SeasonalScore seasonal)
    {
        if (m.NotCounts) return 0;
        var (expected, variance) = seasonal.Active ? (value - seasonal.Residual, seasonal.ResidualVar) : (m.Mean, m.Var);
        if (!(expected > value) || expected <= 0) return 0;
        var nats = expected - value + (value > 0 ? value * Math.Log(value / expected) : 0);
        var dispersion = Math.Max(1, variance / expected);
        return nats / dispersion / Ln10;
    }

    // A run of zeros on a series of counts is a count of nothing, the natural floor of the series, not a stuck sensor: it
    // pauses the differences (as an accepted stuck run does) and is scored only by the Poisson lower tail.
    private static bool ZeroCount(in Model m, double value) => !m.NotCounts && value == 0;

    private static double MeanReference(in Model m, double value) =>
        m.PriorMeanLeft > 0 ? Math.Clamp(value, Math.Min(m.Mean, m.PriorMean), Math.Max(m.Mean, m.PriorMean)) : m.Mean;

    private bool TrackInterval(ref Model m, double elapsedSeconds)
    {
        if (double.IsNaN(elapsedSeconds)) return false;
        var logInterval = Math.Log(elapsedSeconds);
        var gap = m.IntervalN > 0 && logInterval > m.LogInterval + _logGapFactor;
        // Learned even across gaps, so that a lasting change of sampling rate stops counting as gaps within FastWindow samples.
        m.IntervalN++;
        m.LogInterval += (logInterval - m.LogInterval) / Math.Min(m.IntervalN, Options.FastWindow);
        return gap;
    }

    private void UpdateLevel(ref Model m, double value, double sigma)
    {
        m.LevelN++;
        var alpha = 1.0 / Math.Min(m.LevelN, Options.SlowWindow);
        var residual = value - m.Mean;
        // Huber-clipped so that a lone spike moves neither the mean nor the spread much.
        if (m.LevelN > 16) residual = Math.Clamp(residual, -4 * sigma, 4 * sigma);
        m.Mean += alpha * residual;
        m.Var = (1 - alpha) * (m.Var + (alpha * residual * residual));
    }

    // At the end of an alarm's damping, what is still changed becomes the new normal at once instead of firing again
    // until the slow statistics have crept to it: a shifted level (in the raw series, or under its daily pattern),
    // a changed variance, a run of stuck values (until it breaks).
    private void Rebaseline(ref Model m, double zShift, double zVariance, SeasonalScore seasonal)
    {
        (m.DriftUp, m.DriftDown) = (0, 0);
        if (!double.IsNaN(zVariance) && Math.Abs(zVariance) / Scale(m.CalVariance) >= ShiftedAfterAlarm)
        {
            // The normal before the change is remembered for a slow window, so that going back to it is no new alarm.
            if (m.PriorLeft == 0) (m.PriorDiffSlow, m.PriorVar) = (m.DiffSlow, m.Var);
            m.PriorLeft = Options.SlowWindow;
            // A wider spread widens the level's with it (as it would for white noise); a narrower one is learned.
            var floor = (1e-12 * m.DiffSlow) + 1e-300;
            m.Var *= Math.Max(1, (m.DiffFast + floor) / (m.DiffSlow + floor));
            m.DiffSlow = m.DiffFast;
        }
        if (m.Run > 0) m.StuckAccepted = true;
        ref var s = ref m.Seasonal;
        if (seasonal.Active)
        {
            if (Math.Abs(seasonal.Shift) / Scale(m.CalSeasonalShift) < ShiftedAfterAlarm) return;
            m.Mean += MoveOffsets(ref s);
            m.FastMean = m.Mean;
        }
        else
        {
            if (Math.Abs(zShift) / Scale(m.CalShift) < ShiftedAfterAlarm) return;
            // A stuck value is no level of the process: the level before it is kept for when the sensor moves again.
            if (m.Run > 0)
            {
                if (m.PriorMeanLeft == 0) (m.PriorMean, m.PriorMeanVar) = (m.Mean, m.Var);
                m.PriorMeanLeft = Options.SlowWindow;
            }
            m.Mean = m.FastMean;
            m.Var = Math.Max(m.FastVar, 0.25 * m.Var);
        }
        (s.DayResFast, s.WeekResFast) = (0, 0);
        m.LevelN = Math.Min(m.LevelN, 2 * Options.FastWindow);
    }

    // The level part's tail learns from the sample that raised an alarm too (not from the damping after it): on a
    // series whose normal has heavy tails each excursion alarms, and were none counted the tail would never be learned.
    private void CalibrateLevel(ref Model m, double zLevel)
    {
        var alpha = 1.0 / Math.Min(Math.Max(m.CalN, 1), Options.CalibrationWindow);
        m.CalLevel += alpha * (Fourth(zLevel) - m.CalLevel);
        var levelSurprise = Tail.TwoSidedSurprise(zLevel / Scale(m.CalLevel));
        var rateAlpha = 1.0 / Options.CalibrationWindow;
        m.LevelRate3 += rateAlpha * ((levelSurprise >= 3 ? 1 : 0) - m.LevelRate3);
        m.LevelRate5 += rateAlpha * ((levelSurprise >= 5 ? 1 : 0) - m.LevelRate5);
    }

    private void Calibrate(ref Model m, double zShift, double zVariance, double zQuiet, SeasonalScore seasonal)
    {
        var alpha = 1.0 / Math.Min(m.CalN, Options.CalibrationWindow);
        m.CalShift += alpha * (Fourth(zShift) - m.CalShift);
        m.DriftInflation += alpha * (Square(zShift) - m.DriftInflation);
        if (!double.IsNaN(zVariance))
        {
            m.CalVariance += alpha * (Fourth(zVariance) - m.CalVariance);
            // Measured one-sided, as it is scored: the left tail of a log of few squared differences is heavy.
            m.CalQuiet += alpha * ((2 * Fourth(zQuiet)) - m.CalQuiet);
        }
        if (seasonal.Active)
        {
            m.CalSeasonalN++;
            var seasonalAlpha = 1.0 / Math.Min(m.CalSeasonalN, Options.CalibrationWindow);
            m.CalSeasonal += seasonalAlpha * (Fourth(seasonal.Level) - m.CalSeasonal);
            m.CalSeasonalShift += seasonalAlpha * (Fourth(seasonal.Shift) - m.CalSeasonalShift);
            m.DriftSeasonalInflation += seasonalAlpha * (Square(seasonal.Shift) - m.DriftSeasonalInflation);
        }
    }

    // The level part's tail, measured: the rates of surprises of 3 and 5 or more on this series (priors: the
    // Gaussian's 1e-3 and 1e-5) give the tail's slope, and a surprise is re-read on that slope. A series whose normal
    // has frequent large excursions (a heavier tail than the fourth moment captures) is so scored less sensitively;
    // never more than Gaussian theory says.
    private static double TailAdjusted(in Model m, double surprise)
    {
        var atThree = -Math.Log10(Math.Max(m.LevelRate3, 1e-12));
        if (surprise <= 3) return Math.Min(surprise, surprise * atThree / 3);
        var slope = Math.Clamp(Math.Log10(Math.Max(m.LevelRate5, 1e-12) / Math.Max(m.LevelRate3, 1e-12)) / 2, -1, -0.1);
        return Math.Min(surprise, atThree - ((surprise - 3) * slope));
    }

    private static double Square(double z)
    {
        var c = Math.Min(Math.Abs(z), CalibrationClip);
        return c * c;
    }

    private static double Fourth(double z)
    {
        var c = Math.Min(Math.Abs(z), CalibrationClip);
        var c2 = c * c;
        return c2 * c2;
    }

    // A statistic whose fourth moment is above the normal's 3 has heavier tails than assumed: it is scaled down by
    // the ratio, never up, so a series is never scored more sensitively than Gaussian theory says.
    private static double Scale(double fourthMoment) => fourthMoment > 3 ? Math.Sqrt(Math.Sqrt(fourthMoment / 3)) : 1;

    private double StuckSurprise(in Model m)
    {
        // Only where the signal normally moves: a series that mostly repeats (or is constant) is never "stuck".
        if (m.Run < 2 || m.RepeatRate >= 0.5 || m.StuckAccepted || ZeroCount(in m, m.Prev)) return 0;
        var p = Math.Max(m.RepeatRate, 0.5 / Math.Min(m.DiffN, Options.SlowWindow));
        return Math.Max(0, (m.Run * -Math.Log10(p)) - Math.Log10(Options.FastWindow));
    }

    // The hour-of-day and hour-of-week profiles hold each hour's mean less an offset (one per profile) that only a
    // re-baseline moves, so a level shift that became the new normal moves the whole profile with it. (Not the slow mean: it swings
    // with the daily pattern itself and is biased while it converges, which would blur the profile.) The residual against the profile is scored twice:
    // as a sample (a pattern that changed) and as its fast mean (a shift or drift hidden under the pattern).
    private SeasonalScore ScoreSeasonal(ref Model m, DateTime timestampUtc, double value)
    {
        var dayBin = timestampUtc.Hour;
        var weekBin = DayBins + ((int)timestampUtc.DayOfWeek * 24) + timestampUtc.Hour;
        ref var s = ref m.Seasonal;
        if (dayBin != s.DayBin)
        {
            Fold(ref s, s.DayBin, s.DaySum, s.DayCount, FoldLimit(s.DayResVar, s.DayResN));
            (s.DayBin, s.DaySum, s.DayCount) = (dayBin, 0, 0);
        }
        if (weekBin != s.WeekBin)
        {
            Fold(ref s, s.WeekBin, s.WeekSum, s.WeekCount, FoldLimit(s.WeekResVar, s.WeekResN));
            (s.WeekBin, s.WeekSum, s.WeekCount) = (weekBin, 0, 0);
        }

        var dayActive = s.Visits[dayBin] >= MinDayVisits;
        var weekActive = s.Visits[weekBin] >= MinWeekVisits;
        // Where in its hour the sample falls, from the hour's centre (-0.5 to 0.5).
        var fromCentre = (((timestampUtc.Minute * 60) + timestampUtc.Second) / 3600.0) - 0.5;
        var neighbour = fromCentre < 0 ? -1 : 1;
        var dayResidual = value - s.Offset - Profile(in s, dayBin, DayStep(dayBin, neighbour), DayStep(dayBin, -neighbour), DayStep(dayBin, 2 * neighbour), Math.Abs(fromCentre), MinDayVisits, s.DayResVar, s.DayResN);
        var weekResidual = value - s.WeekOffset - Profile(in s, weekBin, WeekStep(weekBin, neighbour), WeekStep(weekBin, -neighbour), WeekStep(weekBin, 2 * neighbour), Math.Abs(fromCentre), MinWeekVisits, s.WeekResVar, s.WeekResN);
        if (dayActive) s.DayResFast += _fastAlpha * (dayResidual - s.DayResFast);
        if (weekActive) s.WeekResFast += _fastAlpha * (weekResidual - s.WeekResFast);
        var fast = Options.FastWindow;
        // A profile scores only once it explains at least half of the series' variance: a pattern is there.
        if (weekActive && s.WeekResN >= fast && s.WeekResVar < 0.5 * m.Var && s.WeekResVar <= s.DayResVar)
        {
            // The weekly profile taking over for the first time: the seasonal calibration so far was learned against
            // the daily profile, whose first weekends misfit it by whole amplitudes, and would leave the part blind
            // for weeks (a fourth moment of thousands decays only while the part scores). It starts anew, and the
            // part scores again once it has seen a slow window.
            if (!s.WeekChosen)
            {
                s.WeekChosen = true;
                (m.CalSeasonal, m.CalSeasonalShift, m.CalSeasonalN, m.DriftSeasonalInflation) = (0, 0, 0, 0);
            }
            var sigma = Math.Sqrt(s.WeekResVar) + 1e-300;
            return new SeasonalScore(true, weekResidual / sigma, s.WeekResFast / (sigma * _shiftStandardError), dayActive, weekActive, dayResidual, weekResidual, weekResidual, s.WeekResVar);
        }
        if (dayActive && s.DayResN >= fast && s.DayResVar < 0.5 * m.Var)
        {
            var sigma = Math.Sqrt(s.DayResVar) + 1e-300;
            return new SeasonalScore(true, dayResidual / sigma, s.DayResFast / (sigma * _shiftStandardError), dayActive, weekActive, dayResidual, weekResidual, dayResidual, s.DayResVar);
        }
        return new SeasonalScore(false, 0, 0, dayActive, weekActive, dayResidual, weekResidual);
    }

    // The profile at a moment of the hour: an hour's mean is the pattern at the hour's centre, so between centres it
    // is interpolated from the nearest two, and a smooth pattern (a daily sine) is not misfit by a step every hour. A
    // step stays a step (a shift change, a weekend): a change between the two hours of more than FoldClip residual
    // deviations that is also more than twice the changes between the hours on either side of them. A smooth
    // pattern's hourly changes are alike from one hour to the next, however steep it is.
    private double Profile(in Seasonal s, int bin, int next, int before, int after, double weight, int minVisits, double residualVar, long residualN)
    {
        var mean = (double)s.Means[bin];
        if (s.Visits[next] < minVisits || residualN < Options.FastWindow) return mean;
        var change = s.Means[next] - mean;
        if (Math.Abs(change) > FoldClip * Math.Sqrt(residualVar))
        {
            if (s.Visits[before] < minVisits || s.Visits[after] < minVisits) return mean;
            var around = Math.Max(Math.Abs(mean - s.Means[before]), Math.Abs(s.Means[after] - (double)s.Means[next]));
            if (Math.Abs(change) > 2 * around) return mean;
        }
        return mean + (weight * change);
    }

    private static int DayStep(int bin, int hours) => (bin + hours + DayBins) % DayBins;

    private static int WeekStep(int bin, int hours) => DayBins + ((bin - DayBins + hours + WeekBins) % WeekBins);

    private void LearnSeasonal(ref Model m, SeasonalScore seasonal)
    {
        ref var s = ref m.Seasonal;
        var slow = Options.SlowWindow;
        if (seasonal.DayActive)
        {
            s.DayResN++;
            s.DayResVar += ((seasonal.DayResidual * seasonal.DayResidual) - s.DayResVar) / Math.Min(s.DayResN, slow);
        }
        if (seasonal.WeekActive)
        {
            s.WeekResN++;
            s.WeekResVar += ((seasonal.WeekResidual * seasonal.WeekResidual) - s.WeekResVar) / Math.Min(s.WeekResN, slow);
        }
    }

    // The samples of an alarm's damping are an anomaly, not the pattern: an hour that already scores does not learn
    // from them (the re-baseline after the damping moves the offset by a shift still there, which they would count a
    // second time). An hour still being learned does: a weekend that alarmed against the daily profile is how the
    // hours of the week are first learned.
    private static void AddToProfiles(ref Seasonal s, double value, bool damped)
    {
        if (!damped || s.Visits[s.DayBin] < MinDayVisits)
        {
            s.DaySum += value - s.Offset;
            s.DayCount++;
        }
        if (!damped || s.Visits[s.WeekBin] < MinWeekVisits)
        {
            s.WeekSum += value - s.WeekOffset;
            s.WeekCount++;
        }
    }

    private double FoldLimit(double residualVar, long residualN) =>
        residualN >= Options.FastWindow ? FoldClip * Math.Sqrt(residualVar) : double.PositiveInfinity;

    private static void Fold(ref Seasonal s, int bin, double sum, int count, double limit)
    {
        if (bin < 0 || count == 0) return;
        var visits = s.Visits[bin];
        if (visits < ushort.MaxValue) s.Visits[bin] = ++visits;
        var mean = sum / count;
        var step = visits > 1 ? Math.Clamp(mean - s.Means[bin], -limit, limit) : mean - s.Means[bin];
        s.Means[bin] = (float)(s.Means[bin] + (step / Math.Min((int)visits, SeasonalMemoryVisits)));
    }

    private protected override void WriteModel(BinaryWriter writer)
    {
        ref readonly var m = ref _m;
        writer.Write(m.N);
        writer.Write(m.Mean);
        writer.Write(m.Var);
        writer.Write(m.LevelN);
        writer.Write(m.FastMean);
        writer.Write(m.FastVar);
        writer.Write(m.Prev);
        writer.Write(m.HasPrev);
        writer.Write(m.DiffFast);
        writer.Write(m.DiffSlow);
        writer.Write(m.DiffQuiet);
        writer.Write(m.CalQuiet);
        writer.Write(m.DiffN);
        writer.Write(m.RepeatRate);
        writer.Write(m.Run);
        writer.Write(m.LogInterval);
        writer.Write(m.IntervalN);
        writer.Write(m.CalLevel);
        writer.Write(m.CalShift);
        writer.Write(m.CalVariance);
        writer.Write(m.CalSeasonal);
        writer.Write(m.CalSeasonalShift);
        writer.Write(m.CalN);
        writer.Write(m.CalSeasonalN);
        writer.Write(m.LevelRate3);
        writer.Write(m.LevelRate5);
        writer.Write(m.StuckAccepted);
        writer.Write(m.SuppressLeft);
        writer.Write(m.AlarmSurprise);
        writer.Write(m.SuspiciousRun);
        writer.Write(m.BiasRun);
        writer.Write(m.BiasSign);
        writer.Write(m.DriftUp);
        writer.Write(m.DriftDown);
        writer.Write(m.DriftInflation);
        writer.Write(m.DriftSeasonalInflation);
        writer.Write(m.PriorDiffSlow);
        writer.Write(m.PriorVar);
        writer.Write(m.PriorMean);
        writer.Write(m.PriorMeanVar);
        writer.Write(m.PriorMeanLeft);
        writer.Write(m.NotCounts);
        writer.Write(m.PriorLeft);
        ref readonly var s = ref m.Seasonal;
        writer.Write(s.DayBin);
        writer.Write(s.WeekBin);
        writer.Write(s.DaySum);
        writer.Write(s.WeekSum);
        writer.Write(s.DayCount);
        writer.Write(s.WeekCount);
        writer.Write(s.DayResVar);
        writer.Write(s.WeekResVar);
        writer.Write(s.DayResFast);
        writer.Write(s.WeekResFast);
        writer.Write(s.Offset);
        writer.Write(s.WeekOffset);
        writer.Write(s.DayResN);
        writer.Write(s.WeekResN);
        writer.Write(s.WeekChosen);
        for (var i = 0; i < SeasonalBins; i++)
        {
            writer.Write(s.Means[i]);
            writer.Write(s.Visits[i]);
        }
    }

    private protected override void ReadModel(BinaryReader reader)
    {
        var m = Model.Initial();
        m.N = NonNegative(reader.ReadInt64());
        m.Mean = Finite(reader.ReadDouble());
        m.Var = NonNegative(reader.ReadDouble());
        m.LevelN = NonNegative(reader.ReadInt64());
        m.FastMean = Finite(reader.ReadDouble());
        m.FastVar = NonNegative(reader.ReadDouble());
        m.Prev = Finite(reader.ReadDouble());
        m.HasPrev = reader.ReadBoolean();
        m.DiffFast = NonNegative(reader.ReadDouble());
        m.DiffSlow = NonNegative(reader.ReadDouble());
        m.DiffQuiet = NonNegative(reader.ReadDouble());
        m.CalQuiet = NonNegative(reader.ReadDouble());
        m.DiffN = NonNegative(reader.ReadInt64());
        m.RepeatRate = NonNegative(reader.ReadDouble());
        m.Run = (int)NonNegative(reader.ReadInt32());
        m.LogInterval = Finite(reader.ReadDouble());
        m.IntervalN = NonNegative(reader.ReadInt64());
        m.CalLevel = NonNegative(reader.ReadDouble());
        m.CalShift = NonNegative(reader.ReadDouble());
        m.CalVariance = NonNegative(reader.ReadDouble());
        m.CalSeasonal = NonNegative(reader.ReadDouble());
        m.CalSeasonalShift = NonNegative(reader.ReadDouble());
        m.CalN = NonNegative(reader.ReadInt64());
        m.CalSeasonalN = NonNegative(reader.ReadInt64());
        m.LevelRate3 = NonNegative(reader.ReadDouble());
        m.LevelRate5 = NonNegative(reader.ReadDouble());
        m.StuckAccepted = reader.ReadBoolean();
        m.SuppressLeft = (int)NonNegative(reader.ReadInt32());
        m.AlarmSurprise = NonNegative(reader.ReadDouble());
        m.SuspiciousRun = (int)NonNegative(reader.ReadInt32());
        m.BiasRun = (int)NonNegative(reader.ReadInt32());
        m.BiasSign = reader.ReadInt32();
        m.DriftUp = NonNegative(reader.ReadDouble());
        m.DriftDown = NonNegative(reader.ReadDouble());
        m.DriftInflation = NonNegative(reader.ReadDouble());
        m.DriftSeasonalInflation = NonNegative(reader.ReadDouble());
        m.PriorDiffSlow = NonNegative(reader.ReadDouble());
        m.PriorVar = NonNegative(reader.ReadDouble());
        m.PriorMean = Finite(reader.ReadDouble());
        m.PriorMeanVar = NonNegative(reader.ReadDouble());
        m.PriorMeanLeft = (int)NonNegative(reader.ReadInt32());
        m.NotCounts = reader.ReadBoolean();
        m.PriorLeft = (int)NonNegative(reader.ReadInt32());
        ref var s = ref m.Seasonal;
        s.DayBin = Bin(reader.ReadInt32(), 0, DayBins);
        s.WeekBin = Bin(reader.ReadInt32(), DayBins, SeasonalBins);
        s.DaySum = Finite(reader.ReadDouble());
        s.WeekSum = Finite(reader.ReadDouble());
        s.DayCount = (int)NonNegative(reader.ReadInt32());
        s.WeekCount = (int)NonNegative(reader.ReadInt32());
        s.DayResVar = NonNegative(reader.ReadDouble());
        s.WeekResVar = NonNegative(reader.ReadDouble());
        s.DayResFast = Finite(reader.ReadDouble());
        s.WeekResFast = Finite(reader.ReadDouble());
        s.Offset = Finite(reader.ReadDouble());
        s.WeekOffset = Finite(reader.ReadDouble());
        s.DayResN = NonNegative(reader.ReadInt64());
        s.WeekResN = NonNegative(reader.ReadInt64());
        s.WeekChosen = reader.ReadBoolean();
        for (var i = 0; i < SeasonalBins; i++)
        {
            s.Means[i] = (float)Finite(reader.ReadSingle());
            s.Visits[i] = reader.ReadUInt16();
        }
        if (m.SuppressLeft > Options.SuppressSamples || m.RepeatRate > 1 || m.PriorLeft > Options.SlowWindow || m.PriorMeanLeft > Options.SlowWindow || m.BiasRun > Options.SuppressSamples || Math.Abs(m.BiasSign) > 1) throw new InvalidDataException("scalar detector state out of range");
        _m = m;
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : throw new InvalidDataException("non-finite value in scalar detector state");

    private static double NonNegative(double value) => double.IsFinite(value) && value >= 0 ? value : throw new InvalidDataException("negative or non-finite value in scalar detector state");

    private static long NonNegative(long value) => value >= 0 ? value : throw new InvalidDataException("negative count in scalar detector state");

    private static int Bin(int value, int from, int to) => value == -1 || (value >= from && value < to) ? value : throw new InvalidDataException("seasonal bin out of range in scalar detector state");

    private struct Model
    {
        public long N;
        public double Mean, Var;
        public long LevelN;
        public double FastMean, FastVar;
        public double Prev;
        public bool HasPrev;
        public double DiffFast, DiffSlow, DiffQuiet, CalQuiet;
        public long DiffN;
        public double RepeatRate;
        public int Run;
        public double LogInterval;
        public long IntervalN;
        public double CalLevel, CalShift, CalVariance, CalSeasonal, CalSeasonalShift;
        public long CalN, CalSeasonalN;
        public double LevelRate3, LevelRate5;
        public bool StuckAccepted;
        public int SuppressLeft;
        public double AlarmSurprise;
        public int SuspiciousRun;
        public int BiasRun, BiasSign;
        public double DriftUp, DriftDown, DriftInflation, DriftSeasonalInflation;
        public double PriorDiffSlow, PriorVar;
        public int PriorLeft;
        public double PriorMean, PriorMeanVar;
        public int PriorMeanLeft;
        public bool NotCounts;
        public Seasonal Seasonal;

        public static Model Initial()
        {
            var m = default(Model);
            (m.LevelRate3, m.LevelRate5) = (1e-3, 1e-5);
            m.Seasonal.DayBin = -1;
            m.Seasonal.WeekBin = -1;
            return m;
        }
    }

    /// <summary>The seasonal part's view of one sample: its scores when a profile is active, and the residuals it learns from.</summary>
    private readonly record struct SeasonalScore(bool Active, double Level, double Shift, bool DayActive, bool WeekActive, double DayResidual, double WeekResidual, double Residual = 0, double ResidualVar = 0);

    private struct Seasonal
    {
        public int DayBin, WeekBin;
        public double DaySum, WeekSum;
        public int DayCount, WeekCount;
        public double DayResVar, WeekResVar;
        public double DayResFast, WeekResFast;
        public double Offset, WeekOffset;
        public long DayResN, WeekResN;
        public bool WeekChosen;
        public SeasonalMeans Means;
        public SeasonalVisits Visits;
    }

    [InlineArray(SeasonalBins)]
    private struct SeasonalMeans
    {
        private float _element;
    }

    [InlineArray(SeasonalBins)]
    private struct SeasonalVisits
    {
        private ushort _element;
    }
}
