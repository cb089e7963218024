using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

public class TrainerBehaviourTests
{
    private static Dataset<SeedRegression> Classic(int count = 100, ulong seed = 1)
    {
        (float[] x, float[] y) = ClassicExample.Generate(count, seed);
        return new Dataset<SeedRegression>(x, y);
    }

    [Fact]
    public void TooLargeLearningRate_StopsAsDivergedWithTheStep()
    {
        var model = new Model<SeedRegression>(1);
        TrainingResult result = Trainer.Train(model, Classic(), new TrainingOptions { LearningRate = 50f, BatchSize = 10, Epochs = 100 });

        Assert.Equal(TrainingStatus.Diverged, result.Status);
        Assert.NotNull(result.DivergedAtStep);
        Assert.InRange(result.DivergedAtStep!.Value, 2, 50);
        Assert.Equal(result.Steps + 1, result.DivergedAtStep);
        Assert.True(!float.IsFinite(result.FinalLoss) || result.FinalLoss > 1e4f, $"final loss {result.FinalLoss}");
    }

    [Fact]
    public void Cancellation_StopsBeforeTheBudgetAndSaysSo()
    {
        using var cancellation = new CancellationTokenSource();
        int reports = 0;
        var options = new TrainingOptions
        {
            LearningRate = 0.01f, BatchSize = 10, Steps = 1_000_000, ProgressInterval = 50,
            Progress = p => { if (++reports == 3) cancellation.Cancel(); },
        };

        TrainingResult result = Trainer.Train(new Model<SeedRegression>(1), Classic(), options, cancellationToken: cancellation.Token);

        Assert.Equal(TrainingStatus.Cancelled, result.Status);
        Assert.Equal(150, result.Steps);
    }

    [Fact]
    public void Progress_ArrivesEveryIntervalAndAtTheEnd_WithValidationLossAndRate()
    {
        var reports = new List<TrainingProgress>();
        var options = new TrainingOptions
        {
            LearningRate = 0.1f, BatchSize = 10, Epochs = 5, ProgressInterval = 20, WarmupSteps = 10,
            Progress = reports.Add,
        };

        Trainer.Train(new Model<SeedRegression>(1), Classic(), options, validation: Classic(50, seed: 9));

        Assert.Equal(new[] { 20, 40, 50 }, reports.Select(r => r.Step));
        Assert.Equal(new[] { 2.0, 4.0, 5.0 }, reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.True(r.HasValidationLoss && r.ValidationLoss > 0 && float.IsFinite(r.Loss)));
        Assert.All(reports, r => Assert.Equal(0.1f, r.LearningRate));
        Assert.True(reports[^1].ValidationLoss < reports[0].ValidationLoss);
    }

    [Fact]
    public void SameSeed_ReproducesParametersBitForBit_DifferentSeedDoesNot()
    {
        float[] Run(ulong seed)
        {
            var model = new Model<SeedRegression>(3);
            Trainer.Train(model, Classic(), new TrainingOptions { LearningRate = 0.05f, BatchSize = 10, Epochs = 3, Seed = seed, Momentum = 0.5f });
            return model.Parameters.ToArray();
        }

        Assert.Equal(Run(4), Run(4));
        Assert.NotEqual(Run(4), Run(5));
    }

    [Theory]
    [InlineData(false, 4)] // 100 / 32: three full batches and a batch of 4
    [InlineData(true, 3)]  // the batch of 4 is dropped
    public void ShuffledEpochs_VisitEverySampleOncePerEpoch(bool dropLast, int stepsPerEpoch)
    {
        var session = new TrainingSession<SeedRegression>(new Model<SeedRegression>(1), Classic(),
            new TrainingOptions { LearningRate = 1e-3f, BatchSize = 32, Epochs = 3, DropLastPartialBatch = dropLast });
        Assert.Equal(3 * stepsPerEpoch, session.TotalSteps);

        var epochs = new List<List<int>>();
        for (int step = 0; session.Step(); step++)
        {
            if (step % stepsPerEpoch == 0)
            {
                epochs.Add([]);
            }
            epochs[^1].AddRange(session.LastBatchIndices.ToArray());
        }

        Assert.Equal(3, epochs.Count);
        foreach (List<int> epoch in epochs)
        {
            Assert.Equal(dropLast ? 96 : 100, epoch.Distinct().Count());
            Assert.Equal(epoch.Count, epoch.Distinct().Count());
        }
        Assert.NotEqual(epochs[0], epochs[1]); // reshuffled
        Assert.Equal(dropLast ? 3 * 96 / 100.0 : 3.0, session.Epoch, 10);
    }

    [Fact]
    public void RandomBatches_AreDistinctSamplesAndVaryBetweenSteps()
    {
        var session = new TrainingSession<SeedRegression>(new Model<SeedRegression>(1), Classic(),
            new TrainingOptions { LearningRate = 1e-3f, BatchSize = 10, Steps = 2000, Sampling = BatchSampling.RandomBatches });
        var counts = new int[100];
        int[]? previous = null;
        while (session.Step())
        {
            int[] batch = session.LastBatchIndices.ToArray();
            Assert.Equal(10, batch.Distinct().Count());
            Assert.NotEqual(previous, batch);
            foreach (int i in batch)
            {
                counts[i]++;
            }
            previous = batch;
        }
        // 20,000 draws over 100 samples: each near 200; a biased sampler would leave some far off.
        Assert.All(counts, c => Assert.InRange(c, 140, 260));
    }

    [Fact]
    public void NesterovMomentumAndWeightDecay_Train()
    {
        var model = new Model<SeedRegression>(1);
        TrainingResult result = Trainer.Train(model, Classic(), new TrainingOptions
        {
            LearningRate = 0.05f, BatchSize = 10, Epochs = 50, Momentum = 0.9f, Nesterov = true, WeightDecay = 1e-4f,
            Schedule = LearningRateSchedule.StepDecay(200, 0.5f), WarmupSteps = 20,
        });
        Assert.Equal(TrainingStatus.Completed, result.Status);
        Assert.InRange(model.Parameters[0], 2.5f, 3.5f);
    }
}
