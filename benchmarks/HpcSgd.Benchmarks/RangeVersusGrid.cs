using System.Globalization;
using HpcSgd.Tuning;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Issue #15 item 6: the range test's suggestion per batch size against a reference grid (21 log-spaced rates 1e-4..10
/// x batch 1, 8, 64 and the whole set). A cell counts as within 3x when the median suggestion is within 3x of a
/// near-best rate (<see cref="ReferenceGrid.NearBest"/>: mean loss within 5% of the batch size's best). Beside it, <see cref="BudgetedRates"/> for the same budget
/// over seeds. Tables: CSV files with a "label" column in FOLDER (benchmarks/range-vs-grid exports them).
/// </summary>
internal static class RangeVersusGrid
{
    public static int Run(string folder, int epochs, int gridSeeds, int rangeSeeds)
    {
        Console.WriteLine($"range test vs grid: {epochs} epochs per grid trial, {gridSeeds} grid seeds, {rangeSeeds} range-test and budgeted-rate seeds");
        Console.WriteLine("table | batch | grid best | near-best rates | range test (median) | seeds' range | within 3x | budgeted rate (median) | seeds' range | within 3x");
        Console.WriteLine("---|---:|---:|---|---:|---|---|---:|---|---");
        int rangeWithin = 0, budgetedWithin = 0, cells = 0;
        foreach ((string name, Func<HpcSgd.Data.TrainValidationSplit, TableRun> bind) in ReferenceGrid.Tables())
        {
            TableRun table = bind(ReferenceGrid.Load(folder, name));
            int[] batches = [1, 8, 64, table.TrainingCount];
            ReferenceGrid grid = table.Grid(SweepOptions.LogSpaced(1e-4f, 10f, 21), batches, epochs, gridSeeds);
            BudgetedRateResult[] budgeted = [.. Enumerable.Range(1, rangeSeeds).Select(s => table.BudgetedRates(epochs, batches, (ulong)s))];
            Console.WriteLine(FormattableString.Invariant(
                $"<!-- {table.ModelName}: anchor batch {budgeted[0].AnchorBatchSize}, its best rate {string.Join("/", budgeted.Select(b => b.AnchorRate.ToString("G3", CultureInfo.InvariantCulture)))} (grid: {grid.BestRate(table.TrainingCount):G3}), B_noise {string.Join("/", budgeted.Select(b => b.NoiseScale.ToString("G4", CultureInfo.InvariantCulture)))}; anchor trials {budgeted[0].AnchorSweep.Trials.Sum(t => t.SamplesSeen) * 100.0 / grid.Samples:F1}% and checks {budgeted[0].Checks.Sum(c => c.Trials.Sum(t => t.SamplesSeen)) * 100.0 / grid.Samples:F1}% of the grid's samples -->"));
            foreach (int batch in batches)
            {
                (float low, float high) = grid.NearBest(batch);
                float[] suggestions = [.. table.RangeTests(batch, rangeSeeds).Select(t => t.Suggested)];
                float[] rates = [.. budgeted.Select(b => b.Rates.Single(r => r.BatchSize == batch).LearningRate)];
                float range = Median(suggestions), rule = Median(rates);
                bool rangeOk = Within3x(range, low, high), ruleOk = Within3x(rule, low, high);
                rangeWithin += rangeOk ? 1 : 0;
                budgetedWithin += ruleOk ? 1 : 0;
                cells++;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name} | {batch} | {grid.BestRate(batch):G3} | {low:G3}..{high:G3} | {range:G3} | {suggestions.Min():G3}..{suggestions.Max():G3} | {(rangeOk ? "yes" : "no")} | {rule:G3} | {rates.Min():G3}..{rates.Max():G3} | {(ruleOk ? "yes" : "no")}"));
            }
        }
        Console.WriteLine($"within 3x of a near-best rate: range test {rangeWithin} of {cells} cells, budgeted rates {budgetedWithin} of {cells}");
        return 0;
    }

    private static bool Within3x(float rate, float low, float high) => rate >= low / 3 && rate <= high * 3;

    internal static float Median(float[] values)
    {
        float[] sorted = [.. values.Where(float.IsFinite).Order()];
        return sorted.Length == 0 ? float.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
