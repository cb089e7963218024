using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tuning;

namespace HpcSgd.Tests.Tuning;

public sealed class ResultFilesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hpcsgd-results-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static SweepResult SmallSweep()
    {
        (float[] x, float[] y) = ClassicExample.Generate(count: 100, seed: 1);
        (float[] vx, float[] vy) = ClassicExample.Generate(count: 200, seed: 2);
        return LearningRateSweep.Run(new Model<SeedRegression>(seed: 3).Parameters, new Dataset<SeedRegression>(x, y), new Dataset<SeedRegression>(vx, vy),
            new SweepOptions { LearningRates = [0.01f, 0.1f, 5f], BatchSizes = [10, 64], Budget = TrainingBudget.Samples(2_000), Rungs = 2, Evaluations = 5 });
    }

    [Fact]
    public void Sweep_json_round_trips_every_trial_curve_and_the_recommendation()
    {
        SweepResult result = SmallSweep();
        Assert.Contains(result.Trials, t => t.Status == TrialStatus.Diverged); // NaN losses must survive the trip
        string path = Path.Combine(folder, "sweep.json");
        ResultFiles.WriteJson(path, result);
        SweepFile back = ResultFiles.ReadSweepJson(path);
        Assert.Equal(result.Options.LearningRates, back.LearningRates);
        Assert.Equal(result.Options.BatchSizes, back.BatchSizes);
        Assert.Equal((BudgetKind.Samples, 2_000L), (back.BudgetKind, back.BudgetAmount));
        Assert.Equal(result.Trials.Count, back.Trials.Count);
        for (int i = 0; i < result.Trials.Count; i++)
        {
            TrialResult a = result.Trials[i], b = back.Trials[i];
            Assert.Equal(a with { Curve = [] }, b with { Curve = [] });
            Assert.Equal(a.Curve, b.Curve);
        }
        Assert.Equal(result.Recommendation.Summary, back.Recommendation.Summary);
        Assert.Equal(result.Recommendation.BatchSizes, back.Recommendation.BatchSizes);
        Assert.Contains("\"status\": \"Diverged\"", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Trials_csv_round_trips_every_field_but_the_curve()
    {
        SweepResult result = SmallSweep();
        string path = Path.Combine(folder, "trials.csv");
        ResultFiles.WriteTrialsCsv(path, result.Trials);
        TrialResult[] back = ResultFiles.ReadTrialsCsv(path);
        Assert.Equal(result.Trials.Select(t => t with { Curve = [] }), back.Select(t => t with { Curve = [] }));
        Assert.StartsWith("index,learning_rate,batch_size,seed,status,label,", File.ReadLines(path).First());

        string curves = Path.Combine(folder, "curves.csv");
        ResultFiles.WriteCurvesCsv(curves, result.Trials);
        Assert.Equal(result.Trials.Sum(t => t.Curve.Count) + 1, File.ReadAllLines(curves).Length);
    }

    [Fact]
    public void Range_test_json_round_trips()
    {
        (float[] x, float[] y) = ClassicExample.Generate(count: 100, seed: 1);
        var data = new Dataset<SeedRegression>(x, y);
        var results = LearningRateRangeTest.Repeat(new Model<SeedRegression>(seed: 3).Parameters, data,
            new RangeTestOptions { Steps = 50, BatchSize = 10 }, seeds: [1, 2], batchSizes: [10, 64]);
        string path = Path.Combine(folder, "range.json");
        ResultFiles.WriteJson(path, results);
        RangeTestResult[] back = ResultFiles.ReadRangeTestJson(path);
        Assert.Equal(4, back.Length);
        for (int i = 0; i < back.Length; i++)
        {
            Assert.Equal(results[i].SmoothedLosses, back[i].SmoothedLosses);
            Assert.Equal((results[i].Steepest, results[i].Valley, results[i].BatchSize, results[i].Seed), (back[i].Steepest, back[i].Valley, back[i].BatchSize, back[i].Seed));
        }
    }
}
