using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;
using HpcSgd.Tuning;

namespace HpcSgd.Tests.Training;

/// <summary>
/// Issue #15, items 1 and 6: divergence is judged on a signal that is steady at batch 1. A standardised binary problem
/// (19 features, as LogisticModel takes) at batch 1 with the sweep's factor (100) trains at healthy rates without being
/// stopped, while a rate that blows up still stops within a few dozen steps; the range test at batch 1 gives a number.
/// </summary>
public class DivergenceTests
{
    private static Dataset<LogisticModel> Binary(int count, int seed)
    {
        var random = new Random(seed);
        float[] w = [.. Enumerable.Range(0, 19).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        var x = new float[count * 19];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            double z = 0;
            for (int f = 0; f < 19; f++)
            {
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                x[i * 19 + f] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)); // standard normal
                z += w[f] * x[i * 19 + f];
            }
            y[i] = z + 0.5 * (random.NextDouble() - 0.5) > 0 ? 1f : 0f;
        }
        return new Dataset<LogisticModel>(x, y);
    }

    [Theory]
    [InlineData(0.000178f)]
    [InlineData(0.00316f)]
    [InlineData(0.0178f)]
    public void BatchOne_AtHealthyRates_IsNeverStoppedAsDiverged(float learningRate)
    {
        Dataset<LogisticModel> data = Binary(400, seed: 3);
        for (ulong seed = 1; seed <= 5; seed++)
        {
            var model = new Model<LogisticModel>(seed);
            float start = model.EvaluateLoss(data);
            TrainingResult result = Trainer.Train(model, data,
                new TrainingOptions { LearningRate = learningRate, BatchSize = 1, Epochs = 5, Seed = seed, DivergenceFactor = 100f });
            Assert.Equal(TrainingStatus.Completed, result.Status);
            Assert.True(model.EvaluateLoss(data) < start, $"lr {learningRate}, seed {seed}: loss {model.EvaluateLoss(data)} from {start}");
        }
    }

    [Fact]
    public void BatchOne_Regression_IsNotStoppedWhenTheFirstSampleHappensToFitWell()
    {
        // A standardised target: single-sample squared errors range over orders of magnitude, and for some sample
        // orders the first one is tiny (the old rule then called any ordinary sample a divergence).
        var random = new Random(8);
        float[] w = [.. Enumerable.Range(0, 37).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        var x = new float[300 * 37];
        var y = new float[300];
        for (int i = 0; i < 300; i++)
        {
            double z = 0;
            for (int f = 0; f < 37; f++)
            {
                x[i * 37 + f] = (float)(random.NextDouble() * 3.46 - 1.73); // mean 0, variance 1
                z += w[f] * x[i * 37 + f];
            }
            y[i] = (float)(z / 3.5 + 0.3 * (random.NextDouble() - 0.5));
        }
        var data = new Dataset<SingleOutputRegression>(x, y);
        var stopped = new List<ulong>();
        for (ulong seed = 1; seed <= 40; seed++)
        {
            var model = new Model<SingleOutputRegression>(seed);
            TrainingResult result = Trainer.Train(model, data,
                new TrainingOptions { LearningRate = 0.003f, BatchSize = 1, Epochs = 3, Seed = seed, DivergenceFactor = 100f });
            if (result.Status != TrainingStatus.Completed)
            {
                stopped.Add(seed);
            }
        }
        Assert.Empty(stopped);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void ABlowUp_IsStillCaught_AndTheDivergingStepLeavesTheParametersAlone(int batch)
    {
        (float[] x, float[] y) = ClassicExample.Generate(500, 2);
        var data = new Dataset<SeedRegression>(x, y);
        var model = new Model<SeedRegression>(1);
        using var session = new TrainingSession<SeedRegression>(model, data, new TrainingOptions { LearningRate = 5f, BatchSize = batch, Steps = 10_000, DivergenceFactor = 100f });
        float[] before = [];
        while (session.Step())
        {
            before = model.Parameters.ToArray();
        }
        Assert.True(session.Diverged);
        Assert.InRange(session.StepsDone, 1, 200);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void RangeTest_AtBatchOne_GivesASuggestionForEverySeed()
    {
        Dataset<LogisticModel> data = Binary(400, seed: 4);
        float[] initial = new Model<LogisticModel>(1).Parameters.ToArray();
        IReadOnlyList<RangeTestResult> results = LearningRateRangeTest.Repeat(initial, data, new RangeTestOptions { MinLearningRate = 1e-6f, MaxLearningRate = 10f, Steps = 300 },
            [1UL, 2, 3, 4, 5], [1]);
        Assert.All(results, r =>
        {
            Assert.True(r.LearningRates.Count > 100, $"seed {r.Seed}: stopped after {r.LearningRates.Count} steps");
            Assert.True(float.IsFinite(r.Steepest), $"seed {r.Seed}: no suggestion");
        });
    }
}
