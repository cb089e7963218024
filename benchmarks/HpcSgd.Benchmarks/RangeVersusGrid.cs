using System.Globalization;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tuning;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Issue #15 item 6: the range test's suggestion per batch size against an exhaustive grid (21 log-spaced rates x
/// batch 1, 8, 64 and full batch x seeds, plain SGD for a fixed number of epochs, mean final validation loss over
/// seeds). A cell counts as within 3x when the median suggestion is within 3x of a rate whose mean loss is within 5%
/// (or 0.01) of the best. Beside it, <see cref="BudgetedRates"/>' rate for the same budget ("noise-scale rule").
/// Tables: CSV files with a "label" column in FOLDER (benchmarks/range-vs-grid exports them).
/// </summary>
internal static class RangeVersusGrid
{
    public static int Run(string folder, int epochs, int gridSeeds, int rangeSeeds)
    {
        Console.WriteLine($"range test vs grid: {epochs} epochs per grid trial, {gridSeeds} grid seeds, {rangeSeeds} range-test seeds");
        Console.WriteLine("table | batch | grid best | near-best rates | range test (median) | seeds' range | within 3x | noise-scale rule | within 3x");
        Console.WriteLine("---|---:|---:|---|---:|---|---|---:|---");
        int rangeWithin = 0, ruleWithin = 0, cells = 0;
        foreach ((string name, Func<TrainValidationSplit, int, int, int, IEnumerable<Cell>> compare) in Tables())
        {
            CsvTable table = CsvTable.Load(Path.Combine(folder, name + ".csv"), "label", TargetKind.Classification);
            TrainValidationSplit split = TrainValidationSplit.Create(table, validationFraction: 0.2, seed: 1);
            foreach (Cell cell in compare(split, epochs, gridSeeds, rangeSeeds))
            {
                float median = Median(cell.Suggestions);
                bool range = NearBest(median, cell.NearLow, cell.NearHigh), rule = NearBest(cell.Rule, cell.NearLow, cell.NearHigh);
                rangeWithin += range ? 1 : 0;
                ruleWithin += rule ? 1 : 0;
                cells++;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name} | {cell.BatchSize} | {cell.GridBest:G3} | {cell.NearLow:G3}..{cell.NearHigh:G3} | {median:G3} | {cell.Suggestions.Min():G3}..{cell.Suggestions.Max():G3} | {(range ? "yes" : "no")} | {cell.Rule:G3} | {(rule ? "yes" : "no")}"));
            }
        }
        Console.WriteLine($"within 3x of a near-best rate: range test {rangeWithin} of {cells} cells, noise-scale rule {ruleWithin} of {cells}");
        return 0;
    }

    private sealed record Cell(int BatchSize, float GridBest, float NearLow, float NearHigh, float[] Suggestions, float Rule);

    private static IEnumerable<(string, Func<TrainValidationSplit, int, int, int, IEnumerable<Cell>>)> Tables() =>
    [
        ("breast-cancer", Compare<RangeBreastCancer>),
        ("wine", Compare<RangeWine>),
        ("digits", Compare<RangeDigits>),
    ];

    private static bool NearBest(float rate, float low, float high) => rate >= low / 3 && rate <= high * 3;

    private static IEnumerable<Cell> Compare<TModel>(TrainValidationSplit split, int epochs, int gridSeeds, int rangeSeeds)
        where TModel : ISgdModel<TModel>
    {
        var train = new Dataset<TModel>(split.TrainFeatures, split.TrainTargets);
        var validation = new Dataset<TModel>(split.ValidationFeatures, split.ValidationTargets);
        int[] batches = [1, 8, 64, train.Count];
        float[] rates = SweepOptions.LogSpaced(1e-4f, 10f, 21);
        var losses = new Dictionary<(int Batch, float Rate), List<float>>();
        for (ulong seed = 1; seed <= (ulong)gridSeeds; seed++)
        {
            SweepResult sweep = LearningRateSweep.Run(new Model<TModel>(seed: seed).Parameters, train, validation, new SweepOptions
            {
                LearningRates = rates,
                BatchSizes = batches,
                Budget = TrainingBudget.Samples((long)epochs * train.Count),
                Rungs = 1,
                Evaluations = 4,
                Seed = seed,
            });
            foreach (TrialResult t in sweep.Trials)
            {
                float loss = t.Status == TrialStatus.Diverged || !float.IsFinite(t.FinalValidationLoss) ? float.PositiveInfinity : t.FinalValidationLoss;
                (losses.TryGetValue((t.BatchSize, t.LearningRate), out var list) ? list : losses[(t.BatchSize, t.LearningRate)] = []).Add(loss);
            }
        }
        float Best(int batch) => rates.OrderBy(r => losses[(batch, r)].Average()).First();

        float[] initial = new Model<TModel>(seed: 1).Parameters.ToArray();
        BudgetedRateResult budgeted = BudgetedRates.Suggest(initial, train, validation, new BudgetedRateOptions { Epochs = epochs, BatchSizes = batches });
        Console.WriteLine(FormattableString.Invariant(
            $"<!-- {typeof(TModel).Name}: anchor batch {budgeted.AnchorBatchSize} best rate {budgeted.AnchorRate:G3} (grid: {Best(train.Count):G3}), B_noise {budgeted.NoiseScale:G4}, {budgeted.AnchorSweep.Trials.Sum(t => t.SamplesSeen) * 100.0 / ((double)rates.Length * batches.Length * gridSeeds * epochs * train.Count):F1}% of the grid's samples -->"));
        foreach (int batch in batches)
        {
            float best = Best(batch);
            double bestLoss = losses[(batch, best)].Average();
            float[] near = [.. rates.Where(r => losses[(batch, r)].Average() <= Math.Max(bestLoss * 1.05, bestLoss + 0.01))];
            var tests = LearningRateRangeTest.Repeat(initial, train, new RangeTestOptions { BatchSize = batch },
                [.. Enumerable.Range(1, rangeSeeds).Select(i => (ulong)i)], [batch]);
            float rule = budgeted.Rates.Single(r => r.BatchSize == batch).LearningRate;
            yield return new Cell(batch, best, near.Min(), near.Max(), [.. tests.Select(t => t.Suggested)], rule);
        }
    }

    private static float Median(float[] values)
    {
        float[] sorted = [.. values.Where(float.IsFinite).Order()];
        return sorted.Length == 0 ? float.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
