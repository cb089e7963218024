using System.Globalization;

namespace HpcSgd.Tuning;

/// <summary>The best pair among the trials still running at one fraction of the per-trial budget.</summary>
public sealed record BudgetPoint(double Fraction, float LearningRate, int BatchSize, float ValidationLoss);

/// <summary>
/// How the best (learning rate, batch size) pair moves as the budget grows, read from a sweep's loss curves: at the
/// rungs (or at a quarter, half and all of the budget without successive halving), the lowest validation loss among
/// the trials that had reached that point. The recommendation is right for its budget; this says whether it would hold
/// for a larger one.
/// </summary>
public static class BudgetPath
{
    /// <summary>The best pair at each checkpoint of the budget, in budget order (checkpoints no trial reached are left out).</summary>
    public static IReadOnlyList<BudgetPoint> Of(SweepResult sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        double[] fractions = sweep.Options.EvaluationFractions();
        double[] wanted = sweep.Options.Rungs > 1 ? sweep.Options.RungFractions() : [0.25, 0.5, 1.0];
        var points = new List<BudgetPoint>();
        foreach (double fraction in wanted)
        {
            // Curve point k + 1 is the k-th evaluation (point 0 is the start).
            int k = Array.FindIndex(fractions, f => f >= fraction - 1e-9);
            if (k < 0)
            {
                continue;
            }
            TrialResult? best = sweep.Trials
                .Where(t => t.Status != TrialStatus.Diverged && t.Curve.Count > k + 1 && float.IsFinite(t.Curve[k + 1].ValidationLoss))
                .OrderBy(t => t.Curve[k + 1].ValidationLoss).ThenBy(t => t.Index).FirstOrDefault();
            if (best is not null)
            {
                points.Add(new BudgetPoint(fractions[k], best.LearningRate, best.BatchSize, best.Curve[k + 1].ValidationLoss));
            }
        }
        return points;
    }

    /// <summary>The path in one sentence, e.g. "At 1/9 of the budget the best pair was ...; at all of it ...: it moved to ...".</summary>
    public static string Describe(IReadOnlyList<BudgetPoint> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var inv = CultureInfo.InvariantCulture;
        if (path.Count < 2)
        {
            return "";
        }
        string Part(BudgetPoint p) => string.Create(inv, $"{Share(p.Fraction)}: learning rate {p.LearningRate:G3}, batch {p.BatchSize} ({p.ValidationLoss:G3})");
        string text = "How the best pair moves as the budget grows — " + string.Join("; ", path.Select(Part)) + ". ";
        BudgetPoint first = path[0], last = path[^1];
        int settled = path.Count - 1;
        while (settled > 0 && path[settled - 1].LearningRate == last.LearningRate && path[settled - 1].BatchSize == last.BatchSize)
        {
            settled--;
        }
        if (settled == 0)
        {
            return text + "The same pair leads throughout, so a larger budget is unlikely to change the answer.";
        }
        string held = settled < path.Count - 1 ? $"; it has held since {Share(path[settled].Fraction)}" : "";
        return text + string.Create(inv, $"The leader changed as the budget grew (from learning rate {first.LearningRate:G3}, batch {first.BatchSize} to {last.LearningRate:G3}, batch {last.BatchSize}){held}: ")
            + "the answer depends on the budget, and a larger one may move it again.";
    }

    private static string Share(double fraction) => fraction >= 1 - 1e-9 ? "all of it"
        : Math.Abs(1 / fraction - Math.Round(1 / fraction)) < 1e-6 ? string.Create(CultureInfo.InvariantCulture, $"1/{Math.Round(1 / fraction)} of it")
        : string.Create(CultureInfo.InvariantCulture, $"{fraction:P0} of it");
}
