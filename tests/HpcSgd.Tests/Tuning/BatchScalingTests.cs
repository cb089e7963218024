using HpcSgd.Tuning;

namespace HpcSgd.Tests.Tuning;

/// <summary>
/// Issue #15, beyond the anchors: time to a target loss (the wall-clock-optimal pair) and the critical batch size,
/// both read from a sweep's curves. Curves here fall linearly from 2 to their final loss, so every crossing is known.
/// </summary>
public class BatchScalingTests
{
    private const float Start = 2f;

    /// <summary>A trial whose loss falls linearly from 2 at step 0 to <paramref name="final"/> at <paramref name="steps"/>, over <paramref name="seconds"/>.</summary>
    private static TrialResult Linear(int index, float lr, int batch, int steps, float final, double seconds, int points = 10, TrialStatus status = TrialStatus.Completed)
    {
        var curve = new CurvePoint[points + 1];
        for (int k = 0; k <= points; k++)
        {
            double f = (double)k / points;
            float loss = (float)(Start + f * (final - Start));
            curve[k] = new CurvePoint((int)Math.Round(f * steps), (long)Math.Round(f * steps * batch), f * seconds, loss, loss);
        }
        return new TrialResult(index, lr, batch, 1, status, TrialLabel.Converged, 0, final, final, null, steps, (long)steps * batch, seconds, curve);
    }

    private static SweepResult Sweep(params TrialResult[] trials)
    {
        float[] rates = [.. trials.Select(t => t.LearningRate).Distinct()];
        int[] batches = [.. trials.Select(t => t.BatchSize).Distinct()];
        var options = new SweepOptions { LearningRates = rates, BatchSizes = batches, Budget = TrainingBudget.Samples(100_000), Rungs = 1 };
        return new SweepResult(trials, Recommendation.From(trials, options), options, Start, 1);
    }

    [Fact]
    public void Crossing_IsInterpolatedBetweenTheCurvePointsAroundTheTarget()
    {
        // Loss 2 -> 1 over 100 steps and 10 s: 1.25 is three quarters of the way, at step 75, 7.5 s.
        TargetCrossing? crossing = TargetCrossing.Of(Linear(0, 0.1f, 8, 100, 1f, 10, points: 4), 1.25f);
        Assert.NotNull(crossing);
        Assert.Equal(75, crossing.Steps, 6);
        Assert.Equal(7.5, crossing.Seconds, 6);
        Assert.Equal(600, crossing.SamplesSeen, 6);
        Assert.Null(TargetCrossing.Of(Linear(0, 0.1f, 8, 100, 1f, 10), 0.9f));
    }

    [Fact]
    public void A_single_dip_of_a_noisy_curve_is_not_an_arrival()
    {
        // Loss 2, then a dip to 0.9 between 1.6 and 1.5, then a steady 1.0 from step 40: smoothed, the dip is 1.33.
        float[] losses = [2f, 1.6f, 0.9f, 1.5f, 1.0f, 1.0f, 1.0f];
        TrialResult trial = new(0, 0.1f, 8, 1, TrialStatus.Completed, TrialLabel.Oscillating, 0, 1f, 0.9f, null, 60, 480, 6,
            [.. losses.Select((l, k) => new CurvePoint(k * 10, k * 80L, k, l, l))]);
        Assert.Equal(1.3333f, TargetCrossing.Smoothed(trial.Curve)[2], 3);
        TargetCrossing? crossing = TargetCrossing.Of(trial, 1.05f);
        Assert.NotNull(crossing);
        Assert.True(crossing.Steps > 30, $"crossed at step {crossing.Steps}, at the dip");
        Assert.Equal(1.0f, TargetCrossing.LowestSmoothed(trial));
    }

    [Fact]
    public void TheFastestPairToTheTarget_IsNamedBesideTheBestLossPair()
    {
        // The best loss (1.0) belongs to a slow small-batch trial; a large batch gets within 5% (1.05) much sooner.
        TrialResult slowBest = Linear(0, 0.01f, 8, 1000, 1.0f, seconds: 10);
        TrialResult fastNear = Linear(1, 0.1f, 256, 100, 1.04f, seconds: 2);
        TrialResult neverThere = Linear(2, 0.1f, 8, 1000, 1.2f, seconds: 1);
        TimeToTarget? result = TimeToTarget.Of(Sweep(slowBest, fastNear, neverThere));

        Assert.NotNull(result);
        Assert.Equal(1.05f, result.TargetLoss, 5);
        Assert.Same(fastNear, result.Fastest!.Trial);
        Assert.Same(slowBest, result.BestLossTrial!.Trial);
        // 1.05 is 0.95 / 0.96 of the way from 2 to 1.04 over 2 s; 0.95 of the way from 2 to 1.0 over 10 s.
        Assert.Equal(2 * 0.95 / 0.96, result.Fastest.Seconds, 5);
        Assert.Equal(9.5, result.BestLossTrial.Seconds, 5); // the float target 1.05f is not exactly 1.05
        Assert.Equal([8, 256], result.PerBatchSize.Select(c => c.Trial.BatchSize));
        string text = result.Describe();
        Assert.StartsWith("Fastest to within 5% of the best validation loss (to 1.05): learning rate 0.1, batch 256, after 1.98 s of training (99 steps, 25,333 samples).", text);
        Assert.Contains("The pair with the best loss (learning rate 0.01, batch 8) got there after 9.50 s, 4.8x as long", text);
    }

    [Fact]
    public void WhenTheBestLossPairIsAlsoTheFastest_TheReportSaysSo()
    {
        TimeToTarget? result = TimeToTarget.Of(Sweep(Linear(0, 0.1f, 64, 100, 1.0f, 1), Linear(1, 0.01f, 64, 100, 1.5f, 1)));
        Assert.EndsWith("The pair with the best loss is also the fastest to get near it.", result!.Describe());
    }

    /// <summary>Trials that follow S(B) = S_min (1 + B_crit / B) exactly, for two learning rates per batch size (one slower).</summary>
    private static SweepResult McCandlish(double sMin, double bCrit, int[] batches)
    {
        var trials = new List<TrialResult>();
        foreach (int b in batches)
        {
            double steps = sMin * (1 + bCrit / b);
            // Every curve ends at loss 0, the common target, after 2 S(B) steps (the slower rate after 4 S(B)).
            trials.Add(Linear(trials.Count, 0.1f, b, (int)Math.Round(2 * steps), 0f, 1, points: 40));
            trials.Add(Linear(trials.Count, 0.01f, b, (int)Math.Round(4 * steps), 0f, 1, points: 40));
        }
        return Sweep([.. trials]);
    }

    [Fact]
    public void CriticalBatchSize_RecoversTheModelsParameters()
    {
        SweepResult sweep = McCandlish(sMin: 200, bCrit: 64, [4, 16, 64, 256, 1024]);
        // Every batch size reaches loss 0 here, so the common target is the best loss, 0; that is crossed at 2 S(B).
        CriticalBatchSize? fit = CriticalBatchSize.Of(sweep);
        Assert.NotNull(fit);
        Assert.Equal(0f, fit.TargetLoss);
        Assert.Equal([4, 16, 64, 256, 1024], fit.Points.Select(p => p.BatchSize));
        Assert.All(fit.Points, p => Assert.Equal(0.1f, p.LearningRate)); // the faster rate at each batch size
        Assert.Equal(64, fit.Value!.Value, 64 * 0.02);
        Assert.Equal(400, fit.MinimumSteps!.Value, 400 * 0.02); // 2 S_min: the target is crossed at twice S(B)
        Assert.Equal(CriticalBatchBound.None, fit.Bound);
        Assert.Contains("critical batch size B_crit = E_min/S_min = 64", fit.Describe(8));
        Assert.EndsWith("Batch 8 is well below it: doubling the batch would nearly halve the steps for few extra samples, worth it wherever a step costs about the same at twice the batch.", fit.Describe(8));
        Assert.EndsWith("Batch 1024 is well above it: steps barely fall with more samples per step; a smaller batch would reach the loss on fewer samples.", fit.Describe(1024));
        Assert.EndsWith("Batch 64 is near it: the balanced point between steps and samples.", fit.Describe(64, 70));
        Assert.Contains("(the gradient noise scale B_simple, which predicts it, was 70)", fit.Describe(64, 70));
    }

    [Theory]
    [InlineData(0.0, CriticalBatchBound.AboveLargest)] // S = 1000 x 256 / B: steps fall in proportion across the range
    [InlineData(1.0, CriticalBatchBound.BelowSmallest)] // S flat: the batch buys no steps
    public void OutsideTheRange_TheBoundSaysWhichSide(double flat, CriticalBatchBound expected)
    {
        var trials = new List<TrialResult>();
        foreach (int b in new[] { 4, 16, 64, 256 })
        {
            double steps = flat * 500 + (1 - flat) * 1000.0 * 256 / b;
            trials.Add(Linear(trials.Count, 0.1f, b, (int)Math.Round(2 * steps), 0f, 1, points: 40));
        }
        CriticalBatchSize? fit = CriticalBatchSize.Of(Sweep([.. trials]));
        Assert.NotNull(fit);
        Assert.Null(fit.Value);
        Assert.Equal(expected, fit.Bound);
        Assert.Contains(expected == CriticalBatchBound.AboveLargest ? "the critical batch size lies above 256" : "the critical batch size lies at or below 4", fit.Describe(16));
    }

    [Fact]
    public void FewerThanThreeBatchSizes_GiveNoFit() =>
        Assert.Null(CriticalBatchSize.Of(Sweep(Linear(0, 0.1f, 8, 100, 1f, 1), Linear(1, 0.1f, 64, 100, 1f, 1))));
}
