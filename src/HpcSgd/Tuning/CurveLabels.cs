namespace HpcSgd.Tuning;

/// <summary>
/// Thresholds that turn a validation-loss curve into a <see cref="TrialLabel"/>. The defaults are deliberately
/// plain: "still improving" = the last quarter of the budget still cut the loss by more than 2%; "stalled" = the loss
/// is still above 90% of where it started and no longer falling; "oscillating" = the second half of the curve swings (relative standard deviation
/// above 10%) and either ends no lower than it began or rises at a third or more of its measurements, or the final
/// loss is more than twice the best one, or the curve climbed above its start.
/// </summary>
public sealed record CurveLabelRules
{
    /// <summary>Relative drop over the last quarter of the curve above which the trial is still improving.</summary>
    public double StillImprovingDrop { get; init; } = 0.02;

    /// <summary>A final loss above this fraction of the initial one counts as still improving (barely started).</summary>
    public double BarelyMovedFraction { get; init; } = 0.9;

    /// <summary>Relative standard deviation of the curve's second half above which it swings.</summary>
    public double OscillationSpread { get; init; } = 0.1;

    /// <summary>A final loss above this multiple of the best loss counts as oscillating.</summary>
    public double ReboundFactor { get; init; } = 2.0;
}

/// <summary>Labels loss curves by <see cref="CurveLabelRules"/>.</summary>
public static class CurveLabels
{
    /// <summary>The label of a curve whose first point is the initial loss.</summary>
    public static TrialLabel Classify(ReadOnlySpan<CurvePoint> curve, bool diverged, CurveLabelRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (diverged || curve.Length == 0)
        {
            return TrialLabel.Diverged;
        }
        if (curve.Length < 3)
        {
            return TrialLabel.StillImproving; // too short to tell: it was stopped before it could settle
        }
        float initial = curve[0].ValidationLoss;
        float final = curve[^1].ValidationLoss;
        float best = float.PositiveInfinity;
        foreach (CurvePoint point in curve)
        {
            best = MathF.Min(best, point.ValidationLoss);
        }
        if (final > rules.ReboundFactor * best)
        {
            return TrialLabel.Oscillating;
        }

        // The second half, by steps, of the measurements after the start.
        int lastStep = curve[^1].Step;
        int half = FirstAtOrAfter(curve, lastStep / 2.0);
        ReadOnlySpan<CurvePoint> tail = curve[half..];
        if (tail.Length >= 3 && RelativeSpread(tail) > rules.OscillationSpread
            && (final >= tail[0].ValidationLoss * (1 - rules.StillImprovingDrop) || Rises(tail) * 3 >= tail.Length - 1))
        {
            return TrialLabel.Oscillating; // swinging, and either no net progress or going up as often as down
        }
        float quarter = curve[FirstAtOrAfter(curve, lastStep * 0.75)].ValidationLoss;
        bool improving = (quarter - final) / quarter > rules.StillImprovingDrop;
        if (final > rules.BarelyMovedFraction * initial)
        {
            // Barely below the start: too wild if it ever climbed above the start, too slow if it is still creeping
            // down, stuck if it is not.
            return Highest(curve) > initial * (1 + rules.OscillationSpread) ? TrialLabel.Oscillating
                : improving ? TrialLabel.StillImproving : TrialLabel.Stalled;
        }
        if (improving)
        {
            return TrialLabel.StillImproving;
        }
        return TrialLabel.Converged;
    }

    private static int FirstAtOrAfter(ReadOnlySpan<CurvePoint> curve, double step)
    {
        for (int i = 1; i < curve.Length; i++)
        {
            if (curve[i].Step >= step)
            {
                return i;
            }
        }
        return curve.Length - 1;
    }

    /// <summary>Steps of the curve where the loss went up by more than 1%.</summary>
    private static int Rises(ReadOnlySpan<CurvePoint> points)
    {
        int rises = 0;
        for (int i = 1; i < points.Length; i++)
        {
            if (points[i].ValidationLoss > points[i - 1].ValidationLoss * 1.01f)
            {
                rises++;
            }
        }
        return rises;
    }

    private static float Highest(ReadOnlySpan<CurvePoint> points)
    {
        float highest = float.NegativeInfinity;
        foreach (CurvePoint p in points)
        {
            highest = MathF.Max(highest, p.ValidationLoss);
        }
        return highest;
    }

    private static double RelativeSpread(ReadOnlySpan<CurvePoint> points)
    {
        double mean = 0;
        foreach (CurvePoint p in points)
        {
            mean += p.ValidationLoss;
        }
        mean /= points.Length;
        double variance = 0;
        foreach (CurvePoint p in points)
        {
            variance += (p.ValidationLoss - mean) * (p.ValidationLoss - mean);
        }
        return Math.Sqrt(variance / (points.Length - 1)) / Math.Abs(mean);
    }
}
