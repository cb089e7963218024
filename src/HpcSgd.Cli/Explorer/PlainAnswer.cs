using System.Globalization;
using HpcSgd.Tuning;

namespace HpcSgd.Cli.Explorer;

/// <summary>
/// The article's question answered for one data set in three plain sentences, from a sweep's trials: what too large a
/// learning rate did, what too small a one did, and what a larger batch bought. The report opens with them.
/// </summary>
internal static class PlainAnswer
{
    public static string For(SweepResult sweep)
    {
        var inv = CultureInfo.InvariantCulture;
        Recommendation r = sweep.Recommendation;
        if (r.BestBatchSize == 0)
        {
            return "Every learning rate tried diverged, so the grid needs smaller rates before it can answer.";
        }
        BatchSizeSummary at = r.BatchSizes.First(b => b.BatchSize == r.BestBatchSize);
        TrialResult[] row = [.. sweep.Trials.Where(t => t.BatchSize == r.BestBatchSize).OrderBy(t => t.LearningRate)];

        string large = float.IsFinite(at.DivergedFrom)
            ? string.Create(inv, $"Too large a learning rate fails: at batch {at.BatchSize}, rates from {at.DivergedFrom:G3} up diverged")
              + (float.IsFinite(at.CollapsedFrom) && at.CollapsedFrom < at.DivergedFrom ? string.Create(inv, $" and from {at.CollapsedFrom:G3} the model ended no better than it started") : "") + "."
            : float.IsFinite(at.CollapsedFrom)
                ? string.Create(inv, $"Too large a learning rate fails: at batch {at.BatchSize}, from {at.CollapsedFrom:G3} up the model ended no better than it started or at chance.")
                : string.Create(inv, $"No rate up to {row[^1].LearningRate:G3} diverged at batch {at.BatchSize}; the grid does not reach the rates that are too large.");

        TrialResult smallest = row[0];
        string small = smallest.Status == TrialStatus.Diverged || !float.IsFinite(smallest.FinalValidationLoss)
            ? string.Create(inv, $"Even the smallest rate, {smallest.LearningRate:G3}, diverged at batch {at.BatchSize}.")
            : smallest.LearningRate >= r.BestLearningRate
                ? string.Create(inv, $"The smallest rate tried, {smallest.LearningRate:G3}, was also the best at batch {at.BatchSize}: smaller ones may do better still.")
                : string.Create(inv, $"Too small a rate crawls: at {smallest.LearningRate:G3} the validation loss ended at {smallest.FinalValidationLoss:G3}, ") +
                  string.Create(inv, $"{smallest.FinalValidationLoss / r.BestValidationLoss:G2}x the best ({r.BestValidationLoss:G3} at {r.BestLearningRate:G3})") +
                  (smallest.Label == TrialLabel.StillImproving ? ", and was still falling when the budget ran out." : ".");

        BatchSizeSummary[] batches = [.. r.BatchSizes.Where(b => float.IsFinite(b.BestValidationLoss)).OrderBy(b => b.BatchSize)];
        string larger;
        if (batches.Length < 2)
        {
            larger = "Only one batch size gave a usable trial, so what a larger batch buys is not measured here.";
        }
        else
        {
            BatchSizeSummary first = batches[0], last = batches[^1];
            larger = string.Create(inv, $"A larger batch averages away gradient noise but takes fewer steps for the same data ({sweep.Options.Budget} per trial): ") +
                string.Create(inv, $"at its best rate, batch {first.BatchSize} reached {first.BestValidationLoss:G3} (rate {first.BestLearningRate:G3}) and batch {last.BatchSize} ") +
                string.Create(inv, $"{last.BestValidationLoss:G3} (rate {last.BestLearningRate:G3}) with {last.BatchSize / (double)first.BatchSize:G3}x fewer steps") +
                (r.ScalingExponent is double k ? string.Create(inv, $"; the best rate grew like B^{k:F2} with the batch size.") : ".");
        }
        return $"{large} {small} {larger}";
    }
}
