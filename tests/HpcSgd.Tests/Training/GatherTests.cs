using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// Narrow samples are gathered from side-by-side rows, wide ones eight rows at a time; either way the batch a step
/// trains on must be exactly the drawn samples.
/// </summary>
public class GatherTests
{
    [Fact]
    public void Interleaved_rows_hold_each_sample_s_features_then_target()
    {
        var data = new Dataset<SeedRegression>([1f, 2f, 3f], [10f, 20f, 30f]);
        Assert.True(Dataset<SeedRegression>.HasNarrowRows);
        Assert.Equal([1f, 10f, 2f, 20f, 3f, 30f], data.InterleavedRows.ToArray());
        Assert.False(Dataset<FashionMlp>.HasNarrowRows); // 784 inputs: gathered from the two arrays
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void A_session_step_trains_on_the_drawn_samples(int batch)
    {
        var random = new Random(3);
        int count = 500;
        float[] x = Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
        float[] y = x.Select(v => 3f * v + 2f + (float)random.NextDouble()).ToArray();
        var data = new Dataset<SeedRegression>(x, y);
        var model = new Model<SeedRegression>(seed: 4);
        var expected = model.Parameters.ToArray();
        using var session = new TrainingSession<SeedRegression>(model, data, new TrainingOptions { LearningRate = 0.1f, BatchSize = batch, Steps = 5, Seed = 9 });
        for (int step = 0; step < 5; step++)
        {
            Assert.True(session.Step());
            int[] drawn = session.LastBatchIndices.ToArray();
            float[] inputs = drawn.Select(i => x[i]).ToArray(), targets = drawn.Select(i => y[i]).ToArray();
            float loss = SeedRegression.TrainStep(expected, inputs, targets, new float[expected.Length], default,
                new float[SeedRegression.WorkspaceLength(batch)], batch, new UpdateRule(0.1f, 0f, 0f, false), float.PositiveInfinity);
            Assert.Equal(loss, session.LastLoss);
            Assert.Equal(expected, model.Parameters.ToArray());
        }
    }

    /// <summary>37 inputs (vector tails at every width) and 3 targets; batches with and without a remainder of eight rows.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(33)]
    public void A_session_step_on_wide_rows_trains_on_the_drawn_samples(int batch)
    {
        var random = new Random(5);
        int count = 300;
        float[] x = Enumerable.Range(0, count * 37).Select(_ => (float)random.NextDouble()).ToArray();
        float[] y = Enumerable.Range(0, count * 3).Select(_ => (float)random.NextDouble()).ToArray();
        var data = new Dataset<WideRegression>(x, y);
        Assert.False(Dataset<WideRegression>.HasNarrowRows);
        var model = new Model<WideRegression>(seed: 4);
        var expected = model.Parameters.ToArray();
        using var session = new TrainingSession<WideRegression>(model, data, new TrainingOptions { LearningRate = 0.05f, BatchSize = batch, Steps = 4, Seed = 9 });
        for (int step = 0; step < 4; step++)
        {
            Assert.True(session.Step());
            int[] drawn = session.LastBatchIndices.ToArray();
            float[] inputs = drawn.SelectMany(i => x.Skip(i * 37).Take(37)).ToArray();
            float[] targets = drawn.SelectMany(i => y.Skip(i * 3).Take(3)).ToArray();
            float loss = WideRegression.TrainStep(expected, inputs, targets, new float[expected.Length], default,
                new float[WideRegression.WorkspaceLength(batch)], batch, new UpdateRule(0.05f, 0f, 0f, false), float.PositiveInfinity);
            Assert.Equal(loss, session.LastLoss);
            Assert.Equal(expected, model.Parameters.ToArray());
        }
    }
}
