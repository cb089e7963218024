using System.Globalization;
using System.Text;

namespace HpcSgd.Tuning;

/// <summary>The learning rates that trained stably at one batch size, and the best of them.</summary>
/// <param name="BatchSize">The batch size.</param>
/// <param name="BestLearningRate">The learning rate whose trial went furthest (rungs) with the lowest validation loss; NaN if all diverged.</param>
/// <param name="BestValidationLoss">That trial's final validation loss.</param>
/// <param name="StableFrom">The smallest learning rate whose trial neither diverged nor oscillated, ended below its starting loss and, for a classifier, above chance; NaN if none.</param>
/// <param name="StableTo">The largest such learning rate; NaN if none.</param>
/// <param name="DivergedFrom">The smallest learning rate that diverged; NaN if none did.</param>
/// <param name="CollapsedFrom">The smallest learning rate whose trial ran to the end but ended no better than it started, or at chance; NaN if none.</param>
/// <param name="BestAtGridEdge">The best learning rate is the smallest or largest of the grid: the optimum may lie outside it.</param>
public sealed record BatchSizeSummary(int BatchSize, float BestLearningRate, float BestValidationLoss, float StableFrom, float StableTo,
    float DivergedFrom, bool BestAtGridEdge, float CollapsedFrom = float.NaN);

/// <summary>
/// One pair of a sweep's final rounds: a finalist (<see cref="SweepOptions.Finalists"/>), its grid trial and its replicas
/// from more seeds together, or a refined rate (<see cref="SweepOptions.RefineRate"/>) from as many seeds.
/// </summary>
/// <param name="LearningRate">The pair's learning rate.</param>
/// <param name="BatchSize">Its batch size.</param>
/// <param name="Seeds">Trials of the pair: a finalist's grid trial and replicas, or a refined rate's seeds.</param>
/// <param name="MeanValidationLoss">Mean final validation loss over the seeds (infinite when one diverged).</param>
/// <param name="LowestValidationLoss">The lowest of them.</param>
/// <param name="HighestValidationLoss">The highest of them (NaN when one diverged).</param>
/// <param name="MeanAccuracy">Mean validation accuracy over the seeds, for classifiers whose seeds all ended.</param>
/// <param name="GridValidationLoss">The grid trial's own final validation loss, which made it a finalist; NaN for a refined rate (no grid trial).</param>
public sealed record FinalistSummary(float LearningRate, int BatchSize, int Seeds, double MeanValidationLoss, float LowestValidationLoss,
    float HighestValidationLoss, double? MeanAccuracy, float GridValidationLoss);

/// <summary>
/// What a sweep recommends: the best (learning rate, batch size) pair, the stable region per batch size, and how
/// the best learning rate scales with the batch size — the exponent of a least-squares line through
/// (log B, log best rate), compared with the linear-scaling rule (exponent 1, Goyal et al. 2017) and the
/// square-root rule (exponent 0.5, Krizhevsky 2014) — with a plain-words <see cref="Summary"/>.
/// </summary>
/// <param name="BestLearningRate">The recommended learning rate (NaN if every trial diverged).</param>
/// <param name="BestBatchSize">The recommended batch size (0 if every trial diverged).</param>
/// <param name="BestValidationLoss">The recommended trial's final validation loss.</param>
/// <param name="BestAccuracy">Its validation accuracy for classifiers.</param>
/// <param name="BatchSizes">Per batch size: best rate and stable range.</param>
/// <param name="ScalingExponent">The fitted exponent, or null with fewer than two batch sizes that trained.</param>
/// <param name="Summary">The recommendation in plain words.</param>
public sealed record Recommendation(float BestLearningRate, int BestBatchSize, float BestValidationLoss, double? BestAccuracy,
    IReadOnlyList<BatchSizeSummary> BatchSizes, double? ScalingExponent, string Summary)
{
    /// <summary>
    /// The final rounds' pairs, best mean first (the recommended pair is the first); empty without them. With them,
    /// <see cref="BestValidationLoss"/> and <see cref="BestAccuracy"/> are the recommended pair's means over its seeds.
    /// </summary>
    public IReadOnlyList<FinalistSummary> Finalists { get; init; } = [];

    /// <summary>
    /// Draws the recommendation from the trials of a sweep. A trial that ran to the end but ended no better than
    /// <paramref name="initialValidationLoss"/>, or (classifiers) at or below <paramref name="chanceAccuracy"/> (the
    /// validation set's most common class), collapsed: it is not counted as stable.
    /// </summary>
    /// <param name="trials">The grid's trials.</param>
    /// <param name="options">The sweep's options.</param>
    /// <param name="initialValidationLoss">Validation loss of the shared initial parameters.</param>
    /// <param name="chanceAccuracy">For classifiers, the accuracy of always answering the most common class.</param>
    /// <param name="finalTrials">The final rounds' trials (<see cref="SweepResult.FinalTrials"/>); the pair with the lowest mean over its seeds is then recommended.</param>
    public static Recommendation From(IReadOnlyList<TrialResult> trials, SweepOptions options, float initialValidationLoss = float.NaN, double? chanceAccuracy = null,
        IReadOnlyList<TrialResult>? finalTrials = null)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(options);
        float smallestRate = options.LearningRates.Min(), largestRate = options.LearningRates.Max();

        // The winner went furthest: it survived every rung, and among those it has the lowest final loss.
        TrialResult? best = Ranked(trials).FirstOrDefault();
        var perBatch = new List<BatchSizeSummary>();
        foreach (int batch in options.BatchSizes.Order())
        {
            TrialResult[] cell = [.. trials.Where(t => t.BatchSize == batch)];
            TrialResult? winner = Ranked(cell).FirstOrDefault();
            bool Collapsed(TrialResult t) => t.Status != TrialStatus.Diverged
                && ((float.IsFinite(initialValidationLoss) && !(t.FinalValidationLoss < initialValidationLoss))
                    || (chanceAccuracy is double chance && t.FinalAccuracy is double accuracy && accuracy <= chance));
            float[] stable = [.. cell.Where(t => t.Label is TrialLabel.Converged or TrialLabel.StillImproving && !Collapsed(t) && !t.RolledBack).Select(t => t.LearningRate)];
            float[] collapsed = [.. cell.Where(t => t.Status == TrialStatus.Completed && Collapsed(t)).Select(t => t.LearningRate)];
            // A trial rolled back to a lower rate diverged at its own.
            float[] diverged = [.. cell.Where(t => t.Status == TrialStatus.Diverged || t.RolledBack).Select(t => t.LearningRate)];
            perBatch.Add(new BatchSizeSummary(batch,
                winner?.LearningRate ?? float.NaN,
                winner?.FinalValidationLoss ?? float.NaN,
                stable.Length > 0 ? stable.Min() : float.NaN,
                stable.Length > 0 ? stable.Max() : float.NaN,
                diverged.Length > 0 ? diverged.Min() : float.NaN,
                winner is not null && options.LearningRates.Count > 1 && (winner.LearningRate == smallestRate || winner.LearningRate == largestRate),
                collapsed.Length > 0 ? collapsed.Min() : float.NaN));
        }
        double? exponent = FitExponent(perBatch);
        FinalistSummary[] finalists = FinalRound.Summaries(trials, options, finalTrials ?? []);
        if (finalists.Length > 0)
        {
            FinalistSummary chosen = finalists[0];
            return new Recommendation(chosen.LearningRate, chosen.BatchSize, (float)chosen.MeanValidationLoss, chosen.MeanAccuracy, perBatch, exponent,
                Describe(trials, best, perBatch, exponent, options, finalists)) { Finalists = finalists };
        }
        return new Recommendation(best?.LearningRate ?? float.NaN, best?.BatchSize ?? 0, best?.FinalValidationLoss ?? float.NaN,
            best?.FinalAccuracy, perBatch, exponent, Describe(trials, best, perBatch, exponent, options, []));
    }

    /// <summary>Trials that did not diverge (nor roll back: their rate did), deepest rung first, then by final validation loss, then grid order.</summary>
    internal static IEnumerable<TrialResult> Ranked(IEnumerable<TrialResult> trials) =>
        trials.Where(t => t.Status != TrialStatus.Diverged && !t.RolledBack && float.IsFinite(t.FinalValidationLoss))
            .OrderByDescending(t => t.RungReached).ThenBy(t => t.FinalValidationLoss).ThenBy(t => t.Index);

    /// <summary>Least-squares slope of log(best rate) on log(batch size) over the batch sizes whose best rate is inside the grid.</summary>
    internal static double? FitExponent(IReadOnlyList<BatchSizeSummary> perBatch)
    {
        BatchSizeSummary[] points = [.. perBatch.Where(p => float.IsFinite(p.BestLearningRate))];
        if (points.Length < 2 || points.Select(p => p.BatchSize).Distinct().Count() < 2)
        {
            return null;
        }
        double meanX = points.Average(p => Math.Log(p.BatchSize)), meanY = points.Average(p => Math.Log(p.BestLearningRate));
        double sxy = 0, sxx = 0;
        foreach (BatchSizeSummary p in points)
        {
            double dx = Math.Log(p.BatchSize) - meanX;
            sxy += dx * (Math.Log(p.BestLearningRate) - meanY);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }

    /// <summary>Relative loss difference under which two trials count as equally good.</summary>
    private const double NearTie = 0.02;

    private static string Describe(IReadOnlyList<TrialResult> trials, TrialResult? best, List<BatchSizeSummary> perBatch, double? exponent, SweepOptions options,
        FinalistSummary[] finalists)
    {
        FinalistSummary? chosen = finalists.Length > 0 ? finalists[0] : null;
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        if (best is null)
        {
            text.Append(inv, $"Every trial diverged under {options.Budget}: try learning rates below {options.LearningRates.Min():G3}.");
            return text.ToString();
        }
        float bestRate = chosen?.LearningRate ?? best.LearningRate;
        int bestBatchSize = chosen?.BatchSize ?? best.BatchSize;
        text.Append(inv, $"Recommended: learning rate {bestRate:G3} with batch size {bestBatchSize} ");
        if (chosen is not null)
        {
            text.Append(inv, $"(validation loss {chosen.MeanValidationLoss:G4} on average over {chosen.Seeds} seeds, from {chosen.LowestValidationLoss:G4} to {chosen.HighestValidationLoss:G4}");
            if (chosen.MeanAccuracy is double meanAccuracy)
            {
                text.Append(inv, $", accuracy {meanAccuracy:P1}");
            }
            text.Append(inv, $", after {options.Budget} per trial; the best of {options.Finalists} finalists each trained from {options.FinalistSeeds + 1} seeds");
            text.Append(options.RefineRate ? ", and of rates half a grid step either side of the best of them)." : ").");
        }
        else
        {
            text.Append(inv, $"(validation loss {best.FinalValidationLoss:G4}");
            if (best.FinalAccuracy is double accuracy)
            {
                text.Append(inv, $", accuracy {accuracy:P1}");
            }
            text.Append(inv, $", after {options.Budget} per trial).");
        }
        BatchSizeSummary bestBatch = perBatch.First(p => p.BatchSize == bestBatchSize);
        if (bestBatch.BestAtGridEdge && options.LearningRates.Contains(bestRate))
        {
            text.Append(" It lies at the edge of the learning-rate grid, so a better rate may lie beyond it: widen the grid.");
        }
        // Near ties matter: a larger batch within noise of the best needs fewer (and more parallel) steps. With a final
        // round, only the other finalists' means compare like with like.
        (float Rate, int Batch, double Loss)[] close = chosen is not null
            ? [.. finalists.Skip(1).Where(f => f.MeanValidationLoss <= chosen.MeanValidationLoss * (1 + NearTie)).Select(f => (f.LearningRate, f.BatchSize, f.MeanValidationLoss))]
            : [.. Ranked(trials).Where(t => t != best && t.RungReached == best.RungReached && t.FinalValidationLoss <= best.FinalValidationLoss * (1 + NearTie))
                .Select(t => (t.LearningRate, t.BatchSize, (double)t.FinalValidationLoss))];
        close = [.. close.OrderByDescending(c => c.Batch).Take(3)];
        if (close.Length > 0)
        {
            text.Append(inv, $" Within {NearTie:P0} of it{(chosen is not null ? " (means over their seeds)" : "")}:");
            text.AppendJoin(";", close.Select(c => string.Create(inv,
                $" learning rate {c.Rate:G3} at batch {c.Batch} ({c.Loss:G4}{(c.Batch > bestBatchSize ? $", {c.Batch / (double)bestBatchSize:G2}x fewer steps" : "")})")));
            text.Append('.');
        }
        foreach (BatchSizeSummary p in perBatch)
        {
            text.Append(inv, $" Batch {p.BatchSize}: ");
            text.Append(float.IsNaN(p.StableFrom) ? "no stable learning rate" : $"stable from {p.StableFrom.ToString("G3", inv)} to {p.StableTo.ToString("G3", inv)}");
            if (float.IsFinite(p.CollapsedFrom))
            {
                text.Append(inv, $", collapses from {p.CollapsedFrom:G3} (ends no better than it started, or at chance)");
            }
            text.Append(float.IsNaN(p.DivergedFrom) ? ", none diverged." : $", diverges from {p.DivergedFrom.ToString("G3", inv)}.");
        }
        if (exponent is double k)
        {
            string closer = Math.Abs(k - 1) < Math.Abs(k - 0.5) ? "the linear-scaling rule (exponent 1)" : "the square-root rule (exponent 0.5)";
            if (Math.Abs(k) < 0.25)
            {
                closer = "neither rule: here the best rate barely moves with the batch size";
            }
            text.Append(inv, $" Across batch sizes the best learning rate grows like B^{k:F2}, closer to {closer}");
            text.Append(inv, $" (the grid's rates are a factor {GridStep(options):G2} apart, which limits how precisely the exponent is known).");
        }
        return text.ToString();
    }

    private static double GridStep(SweepOptions options)
    {
        float[] rates = [.. options.LearningRates.Order()];
        return rates.Length < 2 ? 1 : Math.Pow(rates[^1] / (double)rates[0], 1.0 / (rates.Length - 1));
    }
}
