using System.Globalization;

namespace HpcSgd.Tuning;

/// <summary>
/// Where a trial's validation loss first reached a target, on its curve smoothed over neighbouring points (so a noisy
/// curve's single dip does not count as arriving), interpolated between the two points around the crossing.
/// </summary>
/// <param name="Trial">The trial.</param>
/// <param name="Steps">Steps taken by then.</param>
/// <param name="SamplesSeen">Samples drawn by then.</param>
/// <param name="Seconds">Seconds of training steps by then (validation excluded).</param>
public sealed record TargetCrossing(TrialResult Trial, double Steps, double SamplesSeen, double Seconds)
{
    /// <summary>
    /// The first crossing of <paramref name="target"/> on the trial's curve, or null if it never got there. Between the
    /// last point above and the first point at or below it, steps, samples and seconds move in proportion to the loss.
    /// </summary>
    public static TargetCrossing? Of(TrialResult trial, float target)
    {
        ArgumentNullException.ThrowIfNull(trial);
        IReadOnlyList<CurvePoint> curve = trial.Curve;
        float[] loss = Smoothed(curve);
        for (int k = 0; k < curve.Count; k++)
        {
            if (!(loss[k] <= target))
            {
                continue;
            }
            if (k == 0)
            {
                return new TargetCrossing(trial, 0, 0, 0);
            }
            CurvePoint before = curve[k - 1], point = curve[k];
            double share = float.IsFinite(loss[k - 1]) && loss[k - 1] > loss[k]
                ? (loss[k - 1] - (double)target) / (loss[k - 1] - (double)loss[k])
                : 1;
            return new TargetCrossing(trial,
                before.Step + share * (point.Step - before.Step),
                before.SamplesSeen + share * (point.SamplesSeen - before.SamplesSeen),
                before.Seconds + share * (point.Seconds - before.Seconds));
        }
        return null;
    }

    /// <summary>The validation losses with each interior point replaced by the mean of it and its two neighbours; the ends as measured.</summary>
    public static float[] Smoothed(IReadOnlyList<CurvePoint> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        var loss = new float[curve.Count];
        for (int k = 0; k < curve.Count; k++)
        {
            loss[k] = k == 0 || k == curve.Count - 1
                ? curve[k].ValidationLoss
                : (curve[k - 1].ValidationLoss + curve[k].ValidationLoss + curve[k + 1].ValidationLoss) / 3f;
        }
        return loss;
    }

    /// <summary>The lowest smoothed validation loss of a trial (NaN when none is finite).</summary>
    public static float LowestSmoothed(TrialResult trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        float lowest = float.NaN;
        foreach (float value in Smoothed(trial.Curve))
        {
            if (float.IsFinite(value) && !(value >= lowest))
            {
                lowest = value;
            }
        }
        return lowest;
    }
}

/// <summary>
/// The wall-clock view of a sweep: which pair gets within <see cref="Tolerance"/> of the best validation loss soonest
/// on this machine, next to the pair with the best loss. Trials measure their own seconds per step, so a larger batch
/// that costs little more per step (vector width, fewer per-step overheads) shows its worth here, where a samples budget
/// alone would hide it.
/// </summary>
/// <param name="TargetLoss">The loss to reach: the best validation loss measured plus <see cref="Tolerance"/> of it (of 1% of the initial loss if larger).</param>
/// <param name="Tolerance">The fraction above the best loss that counts as reached, e.g. 0.05.</param>
/// <param name="BestLoss">The lowest validation loss of any trial's smoothed curve (<see cref="TargetCrossing.Smoothed"/>).</param>
/// <param name="Fastest">The trial that reached the target in the fewest seconds of training; null if none did.</param>
/// <param name="BestLossTrial">The trial that measured <see cref="BestLoss"/>, and when it reached the target.</param>
/// <param name="PerBatchSize">Per batch size, its fastest trial to the target, in batch-size order (batch sizes none of whose trials got there are left out).</param>
public sealed record TimeToTarget(float TargetLoss, double Tolerance, float BestLoss, TargetCrossing? Fastest, TargetCrossing? BestLossTrial,
    IReadOnlyList<TargetCrossing> PerBatchSize)
{
    /// <summary>Default tolerance above the best loss.</summary>
    public const double DefaultTolerance = 0.05;

    /// <summary>Reads the crossings from a sweep's curves; null when no trial measured a finite loss.</summary>
    public static TimeToTarget? Of(SweepResult sweep, double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentOutOfRangeException.ThrowIfNegative(tolerance);
        (TrialResult Trial, float Lowest)[] ranked = [.. sweep.Trials.Select(t => (Trial: t, Lowest: TargetCrossing.LowestSmoothed(t)))
            .Where(x => float.IsFinite(x.Lowest)).OrderBy(x => x.Lowest).ThenBy(x => x.Trial.Index)];
        if (ranked.Length == 0)
        {
            return null;
        }
        (TrialResult best, float bestLoss) = ranked[0];
        // A loss near zero leaves no room for a relative tolerance: then 1% of the start is the scale.
        double scale = Math.Max(Math.Abs(bestLoss), float.IsFinite(sweep.InitialValidationLoss) ? 0.01 * sweep.InitialValidationLoss : 0);
        float target = (float)(bestLoss + tolerance * scale);
        TargetCrossing[] crossings = [.. sweep.Trials.Select(t => TargetCrossing.Of(t, target)).OfType<TargetCrossing>()];
        TargetCrossing? fastest = crossings.OrderBy(c => c.Seconds).ThenBy(c => c.Trial.Index).FirstOrDefault();
        TargetCrossing[] perBatch = [.. crossings.GroupBy(c => c.Trial.BatchSize).OrderBy(g => g.Key)
            .Select(g => g.OrderBy(c => c.Seconds).ThenBy(c => c.Trial.Index).First())];
        return new TimeToTarget(target, tolerance, bestLoss, fastest, crossings.FirstOrDefault(c => c.Trial == best), perBatch);
    }

    /// <summary>The finding in two sentences: the fastest pair to the target and how the best-loss pair compares.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        if (Fastest is null)
        {
            return "";
        }
        string Pair(TrialResult t) => string.Create(inv, $"learning rate {t.LearningRate:G3}, batch {t.BatchSize}");
        string text = string.Create(inv,
            $"Fastest to within {Tolerance * 100:G3}% of the best validation loss (to {TargetLoss:G4}): {Pair(Fastest.Trial)}, after {Seconds(Fastest.Seconds)} of training " +
            $"({Fastest.Steps:N0} steps, {Fastest.SamplesSeen:N0} samples). ");
        if (BestLossTrial is null || BestLossTrial.Trial == Fastest.Trial)
        {
            return text + "The pair with the best loss is also the fastest to get near it.";
        }
        double ratio = BestLossTrial.Seconds / Math.Max(Fastest.Seconds, 1e-9);
        return text + string.Create(inv,
            $"The pair with the best loss ({Pair(BestLossTrial.Trial)}) got there after {Seconds(BestLossTrial.Seconds)}, {ratio:G2}x as long: " +
            $"when time matters more than the last few percent of loss, take the faster pair.");
    }

    private static string Seconds(double seconds) => seconds >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds:F2} s")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds * 1000:G3} ms");
}
