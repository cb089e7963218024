using System.Globalization;

namespace HpcSgd.Tuning;

/// <summary>Steps and samples one batch size needed to reach the target loss, at its best learning rate for that.</summary>
/// <param name="BatchSize">The batch size.</param>
/// <param name="LearningRate">The learning rate of its trial that got there in the fewest steps.</param>
/// <param name="Steps">Steps to the target, S(B).</param>
/// <param name="Samples">Samples to the target, E(B) = B x S(B).</param>
public sealed record BatchScalingPoint(int BatchSize, float LearningRate, double Steps, double Samples);

/// <summary>
/// The critical batch size of McCandlish et al. (2018, "An Empirical Model of Large-Batch Training"): with each batch
/// size at its best learning rate, the steps S and samples E to a fixed loss trade off as
/// (S / S_min - 1)(E / E_min - 1) = 1, i.e. S(B) = S_min (1 + B_crit / B) with B_crit = E_min / S_min. Below B_crit a
/// larger batch cuts the steps almost in proportion (samples barely grow); above it, steps hardly fall and samples are
/// wasted. Fitted to the sweep's curves: S(B) is read where each batch size's trials first reach the target.
/// </summary>
/// <param name="TargetLoss">The loss every trial is timed to: one that at least three quarters of the batch sizes reached.</param>
/// <param name="Points">S(B) and E(B) per batch size that reached the target, in batch-size order.</param>
/// <param name="MinimumSteps">S_min, the fit's steps at an infinite batch; null without a fit.</param>
/// <param name="MinimumSamples">E_min, the fit's samples at batch 1 (the fewest samples); null without a fit.</param>
/// <param name="Value">B_crit = E_min / S_min; null without a fit.</param>
/// <param name="Bound">Without a fit, or with one more than 4x outside the batch sizes measured: whether B_crit lies above the largest batch size (steps fell in proportion throughout) or below the smallest (steps did not fall); else none.</param>
public sealed record CriticalBatchSize(float TargetLoss, IReadOnlyList<BatchScalingPoint> Points, double? MinimumSteps, double? MinimumSamples,
    double? Value, CriticalBatchBound Bound)
{
    /// <summary>Fits the model to a sweep; null when fewer than three batch sizes reached a common loss.</summary>
    public static CriticalBatchSize? Of(SweepResult sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        // The best (smoothed) loss each batch size measured; the target is one that at least three quarters of them reached.
        float[] reached = [.. sweep.Trials.Select(t => (t.BatchSize, Lowest: TargetCrossing.LowestSmoothed(t))).Where(x => float.IsFinite(x.Lowest))
            .GroupBy(x => x.BatchSize).Select(g => g.Min(x => x.Lowest)).Order()];
        if (reached.Length < 3)
        {
            return null;
        }
        float target = reached[(int)Math.Ceiling(0.75 * reached.Length) - 1];
        BatchScalingPoint[] points = [.. sweep.Trials
            .Select(t => TargetCrossing.Of(t, target)).OfType<TargetCrossing>()
            .Where(c => c.Steps > 0)
            .GroupBy(c => c.Trial.BatchSize).OrderBy(g => g.Key)
            .Select(g => g.OrderBy(c => c.Steps).ThenBy(c => c.Trial.Index).First())
            .Select(c => new BatchScalingPoint(c.Trial.BatchSize, c.Trial.LearningRate, c.Steps, c.Steps * c.Trial.BatchSize))];
        if (points.Length < 3)
        {
            return null;
        }
        (double minimumSteps, double minimumSamples)? fit = Fit(points);
        int smallest = points[0].BatchSize, largest = points[^1].BatchSize;
        // A B_crit far outside the batch sizes measured is an extrapolation: say only on which side it lies.
        if (fit is (double sMin, double eMin) && eMin / sMin >= smallest / 4.0 && eMin / sMin <= 4.0 * largest)
        {
            return new CriticalBatchSize(target, points, sMin, eMin, eMin / sMin, CriticalBatchBound.None);
        }
        CriticalBatchBound bound = fit is (double s, double e)
            ? e / s > 4.0 * largest ? CriticalBatchBound.AboveLargest : CriticalBatchBound.BelowSmallest
            // No positive S_min and E_min: tell the two ways it fails apart by how the steps moved across the range.
            : points[^1].Steps / points[0].Steps < Math.Sqrt((double)smallest / largest) ? CriticalBatchBound.AboveLargest : CriticalBatchBound.BelowSmallest;
        return new CriticalBatchSize(target, points, null, null, null, bound);
    }

    /// <summary>
    /// Least squares of S(B) = S_min + E_min / B, each point weighted by 1 / S(B)^2 so that every batch size counts by its
    /// relative error (S spans decades); null unless both S_min and E_min come out positive.
    /// </summary>
    public static (double MinimumSteps, double MinimumSamples)? Fit(IReadOnlyList<BatchScalingPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        double sw = 0, sx = 0, sxx = 0, sy = 0, sxy = 0;
        foreach (BatchScalingPoint p in points)
        {
            double w = 1 / (p.Steps * p.Steps), x = 1.0 / p.BatchSize, y = p.Steps;
            sw += w;
            sx += w * x;
            sxx += w * x * x;
            sy += w * y;
            sxy += w * x * y;
        }
        double determinant = sw * sxx - sx * sx;
        if (points.Count < 2 || !(Math.Abs(determinant) > 1e-300))
        {
            return null;
        }
        double intercept = (sxx * sy - sx * sxy) / determinant, slope = (sw * sxy - sx * sy) / determinant;
        return intercept > 0 && slope > 0 ? (intercept, slope) : null;
    }

    /// <summary>The fit in plain words, with the regime of <paramref name="batchSize"/> and, if known, the noise scale B_simple beside B_crit.</summary>
    public string Describe(int batchSize, double? noiseScale = null)
    {
        var inv = CultureInfo.InvariantCulture;
        string points = string.Join(", ", Points.Select(p => string.Create(inv, $"B {p.BatchSize}: {p.Steps:N0}")));
        string text = string.Create(inv, $"Steps to validation loss {TargetLoss:G4}, each batch size at its fastest rate: {points}. ");
        if (Value is not double critical)
        {
            return text + (Bound == CriticalBatchBound.AboveLargest
                ? string.Create(inv, $"The steps fell about in proportion to the batch size over the whole range: the critical batch size lies above {Points[^1].BatchSize}, so larger batches would still buy fewer steps at little extra cost in samples.")
                : string.Create(inv, $"The steps hardly fell as the batch grew: the critical batch size lies at or below {Points[0].BatchSize}, so larger batches mostly spend more samples for the same number of steps."));
        }
        text += string.Create(inv, $"Fitted (S/S_min - 1)(E/E_min - 1) = 1 (McCandlish et al. 2018): S_min {MinimumSteps:N0} steps, E_min {MinimumSamples:N0} samples, critical batch size B_crit = E_min/S_min = {critical:G3}");
        text += noiseScale is double bSimple && double.IsFinite(bSimple) ? string.Create(inv, $" (the gradient noise scale B_simple, which predicts it, was {bSimple:G3}). ") : ". ";
        double share = batchSize / critical;
        return text + (share < 0.5
            ? string.Create(inv, $"Batch {batchSize} is well below it: doubling the batch would nearly halve the steps for few extra samples, worth it wherever a step costs about the same at twice the batch.")
            : share > 2
                ? string.Create(inv, $"Batch {batchSize} is well above it: steps barely fall with more samples per step; a smaller batch would reach the loss on fewer samples.")
                : string.Create(inv, $"Batch {batchSize} is near it: the balanced point between steps and samples."));
    }
}

/// <summary>Where the critical batch size lies when the fit has no positive solution.</summary>
public enum CriticalBatchBound
{
    /// <summary>Fitted, or not determined.</summary>
    None = 0,

    /// <summary>Steps fell in proportion to the batch size over the whole range: B_crit is above the largest batch size.</summary>
    AboveLargest = 1,

    /// <summary>Steps did not fall with the batch size: B_crit is at or below the smallest batch size.</summary>
    BelowSmallest = 2,
}
