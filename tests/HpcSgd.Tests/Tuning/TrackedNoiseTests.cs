using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;
using HpcSgd.Tuning;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Tuning;

/// <summary>TrainingOptions.TrackNoiseScale: the noise scale from each step's own batch, inside training.</summary>
public class TrackedNoiseTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(64)] // declared: the fused step would update inside the gradient kernels
    [InlineData(50)] // general path
    public void Tracked_steps_give_the_exact_noise_scale_where_the_parameters_hold_still(int batch)
    {
        Dataset<NoiseRegression> data = GradientNoiseTests.LinearData();
        float[] start = GradientNoiseTests.TrainedFor(new Model<NoiseRegression>(seed: 1).Parameters, data, steps: 40);
        var model = new Model<NoiseRegression>(start);
        // A rate so small the parameters barely move: every step measures the same point, whose exact value is known.
        using var session = new TrainingSession<NoiseRegression>(model, data, new TrainingOptions
        {
            LearningRate = 1e-7f, BatchSize = batch, Steps = 600, Seed = 3, TrackNoiseScale = true, NoiseScaleWindow = 200,
        });
        session.Run();
        (double g2, double trace) = GradientNoiseTests.Exact(model.Parameters, data);
        double exact = trace / g2;
        NoiseScaleEstimate estimate = session.NoiseScale()!;
        output.WriteLine($"exact {exact:G4}; tracked {estimate.NoiseScale:G4} [{estimate.NoiseScaleLow:G4}, {estimate.NoiseScaleHigh:G4}] over {estimate.Draws} steps");
        Assert.True(estimate.IsResolved);
        Assert.Equal((1, batch, 600), (estimate.SmallBatch, estimate.BigBatch, estimate.Step));
        Assert.InRange(estimate.NoiseScale, 0.8 * exact, 1.2 * exact);
        Assert.InRange(exact, estimate.NoiseScaleLow, estimate.NoiseScaleHigh);
    }

    [Fact]
    public void Tracking_changes_no_parameter_and_progress_carries_the_noise_scale()
    {
        Dataset<DeepSoftmax> data = DeepData();
        foreach (int batch in new[] { 12, 20 })
        {
            var plain = new Model<DeepSoftmax>(seed: 5);
            var tracked = new Model<DeepSoftmax>(seed: 5);
            var options = new TrainingOptions { LearningRate = 0.05f, BatchSize = batch, Steps = 300, Seed = 9, Momentum = 0.9f, ProgressInterval = 50 };
            Trainer.Train(plain, data, options);
            var reports = new List<TrainingProgress>();
            Trainer.Train(tracked, data, options with { TrackNoiseScale = true, Progress = reports.Add });
            Assert.Equal(plain.Parameters.ToArray(), tracked.Parameters.ToArray()); // bit for bit
            Assert.Equal(6, reports.Count);
            Assert.All(reports.Skip(1), r => Assert.True(double.IsFinite(r.NoiseScale) && r.NoiseScale > 0, $"step {r.Step}: {r.NoiseScale}"));
        }
        var untracked = new List<TrainingProgress>();
        Trainer.Train(new Model<DeepSoftmax>(seed: 5), data, new TrainingOptions { LearningRate = 0.05f, BatchSize = 12, Steps = 100, Progress = untracked.Add });
        Assert.All(untracked, r => Assert.True(double.IsNaN(r.NoiseScale)));
    }

    [Fact]
    public void Tracked_steps_allocate_nothing()
    {
        Dataset<DeepSoftmax> data = DeepData();
        using var session = new TrainingSession<DeepSoftmax>(new Model<DeepSoftmax>(seed: 1), data,
            new TrainingOptions { LearningRate = 0.05f, BatchSize = 12, Steps = 500, TrackNoiseScale = true });
        for (int i = 0; i < 50; i++)
        {
            session.Step();
        }
        long mark = ThreadAllocations.Mark();
        for (int i = 0; i < 400; i++)
        {
            Assert.True(session.Step());
        }
        Assert.Equal(0, ThreadAllocations.Since(mark));
    }

    [Theory]
    [InlineData(2, false, null)]
    [InlineData(1, true, null)]
    [InlineData(1, false, 4)]
    public void Tracking_with_threads_gather_ahead_or_chunks_is_refused_by_name(int threads, bool ahead, int? chunk)
    {
        var options = new TrainingOptions { LearningRate = 0.1f, BatchSize = 12, Steps = 1, TrackNoiseScale = true, Threads = threads, GatherAhead = ahead, ChunkSize = chunk };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate(100));
        Assert.Equal("TrackNoiseScale", error.ParamName);
        Assert.Contains("Threads = 1", error.Message);
    }

    private static Dataset<DeepSoftmax> DeepData()
    {
        var random = new Random(11);
        const int count = 600;
        var x = new float[count * 9];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            double score = 0;
            for (int j = 0; j < 9; j++)
            {
                x[i * 9 + j] = (float)(random.NextDouble() * 2 - 1);
                score += (j % 3 - 1) * x[i * 9 + j];
            }
            labels[i] = score > 0.3 ? 2 : score < -0.3 ? 0 : 1;
        }
        return new Dataset<DeepSoftmax>(x, labels);
    }
}
