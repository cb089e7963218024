using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>TrainFor / TrainSteps: a run cut into frame-sized slices is the same run.</summary>
public class TrainingSliceTests
{
    private static Dataset<TiledMlp> Data(int count, int seed)
    {
        (float[] inputs, float[] targets) = TestData.Batch(TiledMlp.Description, count, seed);
        return new Dataset<TiledMlp>(inputs, targets);
    }

    private static TrainingOptions Options(int steps, float momentum = 0.9f) =>
        new() { LearningRate = 0.02f, BatchSize = 16, Steps = steps, Seed = 7, Momentum = momentum, Sampling = BatchSampling.ShuffledEpochs };

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void Slices_of_any_size_give_the_parameters_of_one_run_bit_for_bit(int slice)
    {
        Dataset<TiledMlp> data = Data(300, 1);
        var whole = new Model<TiledMlp>(seed: 3);
        using (var session = new TrainingSession<TiledMlp>(whole, data, Options(250)))
        {
            Assert.Equal(TrainingStatus.Completed, session.Run().Status);
        }

        var sliced = new Model<TiledMlp>(seed: 3);
        using var slices = new TrainingSession<TiledMlp>(sliced, data, Options(250));
        int calls = 0, steps = 0;
        TrainingSlice last;
        do
        {
            last = calls % 2 == 0 ? slices.TrainSteps(slice) : slices.TrainFor(TimeSpan.MaxValue, slice);
            Assert.InRange(last.Steps, 0, slice);
            Assert.Equal(slices.LastLoss, last.LastLoss);
            steps += last.Steps;
            calls++;
        }
        while (!last.Ended);

        Assert.Equal(250, steps);
        Assert.Equal(250, slices.StepsDone);
        Assert.Equal((250 + slice - 1) / slice, calls);
        Assert.Equal(whole.Parameters.ToArray(), sliced.Parameters.ToArray());
        // Spent: further slices run nothing and say so.
        TrainingSlice after = slices.TrainSteps(5);
        Assert.Equal(0, after.Steps);
        Assert.True(after.Ended);
        Assert.True(float.IsNaN(after.MeanLoss));
    }

    [Fact]
    public void A_slice_reports_the_mean_of_its_steps_losses()
    {
        Dataset<TiledMlp> data = Data(200, 2);
        var losses = new List<float>();
        var stepped = new Model<TiledMlp>(seed: 5);
        using (var session = new TrainingSession<TiledMlp>(stepped, data, Options(40)))
        {
            for (int i = 0; i < 10; i++)
            {
                Assert.True(session.Step());
                losses.Add(session.LastLoss);
            }
        }
        using var sliced = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 5), data, Options(40));
        TrainingSlice slice = sliced.TrainSteps(10);
        Assert.Equal(10, slice.Steps);
        Assert.False(slice.Ended);
        Assert.Equal(losses.Average(), slice.MeanLoss, 5);
        Assert.Equal(losses[^1], slice.LastLoss);
    }

    [Fact]
    public void A_zero_budget_runs_nothing_and_a_positive_one_at_least_one_step()
    {
        using var session = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 1), Data(100, 3), Options(100));
        TrainingSlice none = session.TrainFor(TimeSpan.Zero);
        Assert.Equal(0, none.Steps);
        Assert.False(none.Ended);
        Assert.Equal(0, session.StepsDone);
        // A budget too small for any step still makes progress: the first step of a slice always runs.
        TrainingSlice some = session.TrainFor(TimeSpan.FromTicks(1));
        Assert.True(some.Steps >= 1);
        Assert.Equal(some.Steps, session.StepsDone);
    }

    [Fact]
    public void Invalid_budgets_are_refused_by_name()
    {
        using var session = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 1), Data(50, 3), Options(10));
        Assert.Equal("budget", Assert.Throws<ArgumentOutOfRangeException>(() => session.TrainFor(TimeSpan.FromMilliseconds(-1))).ParamName);
        Assert.Equal("maxSteps", Assert.Throws<ArgumentOutOfRangeException>(() => session.TrainFor(TimeSpan.MaxValue, 0)).ParamName);
        Assert.Equal("maxSteps", Assert.Throws<ArgumentOutOfRangeException>(() => session.TrainSteps(-3)).ParamName);
    }

    [Fact]
    public void A_diverging_slice_ends()
    {
        var options = new TrainingOptions { LearningRate = 10f, BatchSize = 8, Steps = 500, Seed = 1 };
        (float[] inputs, float[] targets) = TestData.Batch(WideRegression.Description, 100, 4);
        using var session = new TrainingSession<WideRegression>(new Model<WideRegression>(seed: 1), new Dataset<WideRegression>(inputs, targets), options);
        TrainingSlice slice = session.TrainSteps(500);
        Assert.True(slice.Ended);
        Assert.True(session.Diverged);
        Assert.True(slice.Steps < 500);
    }

    [Fact]
    public void Frame_slices_allocate_nothing()
    {
        // A game's frame: write what happened into the data, then train a short slice (the smallest budget: the
        // slice's clock and estimate run, and the assertion holds however long a step takes).
        Dataset<TiledMlp> data = Data(256, 5);
        using var session = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), data, Options(int.MaxValue));
        float[] features = data.FeaturesOf(0).ToArray(), target = data.TargetOf(0).ToArray();
        for (int frame = 0; frame < 300; frame++)
        {
            data.Replace(frame % data.Count, features, target);
            session.TrainFor(TimeSpan.FromTicks(1));
        }
        long mark = ThreadAllocations.Mark();
        int steps = 0;
        for (int frame = 0; frame < 1000; frame++)
        {
            data.Replace(frame % data.Count, features, target);
            steps += session.TrainFor(TimeSpan.FromTicks(1)).Steps;
        }
        long bytes = ThreadAllocations.Since(mark);
        Assert.True(steps >= 1000);
        Assert.True(bytes == 0, $"{bytes} bytes over 1,000 frames");
    }
}
