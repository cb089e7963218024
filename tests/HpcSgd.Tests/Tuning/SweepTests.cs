using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tuning;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Tuning;

public class SweepTests(ITestOutputHelper output)
{
    private static (Dataset<SeedRegression> Train, Dataset<SeedRegression> Validation) Classic()
    {
        (float[] x, float[] y) = ClassicExample.Generate(count: 100, seed: 1);
        (float[] vx, float[] vy) = ClassicExample.Generate(count: 1000, seed: 2);
        return (new Dataset<SeedRegression>(x, y), new Dataset<SeedRegression>(vx, vy));
    }

    private static SweepOptions ClassicGrid(int rungs, int threads) => new()
    {
        LearningRates = SweepOptions.LogSpaced(0.001f, 3f, 8),
        BatchSizes = [1, 10, 64],
        Budget = TrainingBudget.Samples(10_000),
        Rungs = rungs,
        Threads = threads,
        Evaluations = 10,
    };

    [Fact]
    public void Classic_example_sweep_labels_cells_and_finds_a_better_pair_than_the_article()
    {
        (var train, var validation) = Classic();
        var initial = new Model<SeedRegression>(seed: 3);
        SweepResult result = LearningRateSweep.Run(initial.Parameters, train, validation, ClassicGrid(rungs: 1, threads: 2));
        foreach (TrialResult t in result.Trials)
        {
            output.WriteLine($"lr {t.LearningRate,8:G3} B {t.BatchSize,3}: {t.Status,-9} {t.Label,-14} final {t.FinalValidationLoss:G4} steps {t.Steps}");
        }
        output.WriteLine(result.Recommendation.Summary);
        Assert.All(result.Trials, t => Assert.NotEqual(TrialStatus.Stopped, t.Status));
        Assert.Contains(result.Trials, t => t.Status == TrialStatus.Diverged && t.Label == TrialLabel.Diverged && float.IsNaN(t.FinalValidationLoss));
        Assert.Contains(result.Trials, t => t.Label == TrialLabel.StillImproving);
        Assert.Contains(result.Trials, t => t.Label == TrialLabel.Converged);
    }
}
