using HpcSgd;
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
        Assert.Equal([1f, 10f, 2f, 20f, 3f, 30f], data.InterleavedRows.AsSpan(0, 6).ToArray());
        Assert.Equal(6 + 16, data.InterleavedRows.Length); // padding: a 16-lane load from the last row stays inside
        Assert.False(Dataset<FashionMlp>.HasNarrowRows); // 784 inputs: gathered from the two arrays
    }

    /// <summary>One input and one target: the side-by-side rows; batches below, at and above the prefetch distance.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void A_session_step_on_narrow_rows_trains_on_the_drawn_samples(int batch)
    {
        Assert.True(Dataset<SeedRegression>.HasNarrowRows);
        AssertStepsTrainOnDrawnSamples<SeedRegression>(batch, count: 500);
    }

    /// <summary>
    /// Wider narrow rows, copied a 256-bit vector (5 inputs + 2 targets) or a 512-bit one (9 inputs + 1 label) per part:
    /// batches whose last rows' vectors would reach past the batch buffers (copied element by element).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    public void A_session_step_on_wider_narrow_rows_trains_on_the_drawn_samples(int batch)
    {
        Assert.True(Dataset<Outer.NestedRegression>.HasNarrowRows);
        Assert.True(Dataset<SoftmaxManyClasses>.HasNarrowRows);
        AssertStepsTrainOnDrawnSamples<Outer.NestedRegression>(batch, count: 200);
        AssertStepsTrainOnDrawnSamples<SoftmaxManyClasses>(batch, count: 200);
    }

    /// <summary>37 inputs (vector tails at every width) and 3 targets; batches with and without a remainder of eight rows.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(33)]
    public void A_session_step_on_wide_rows_trains_on_the_drawn_samples(int batch)
    {
        Assert.False(Dataset<WideRegression>.HasNarrowRows);
        AssertStepsTrainOnDrawnSamples<WideRegression>(batch, count: 300);
    }

    /// <summary>Each session step's loss and parameters equal <c>TrainStep</c> on the rows the step says it drew, copied by hand.</summary>
    private static void AssertStepsTrainOnDrawnSamples<TModel>(int batch, int count) where TModel : ISgdModel<TModel>
    {
        int inputWidth = TModel.Description.InputCount, targetWidth = TModel.Description.TargetWidth;
        var random = new Random(5);
        float[] x = Enumerable.Range(0, count * inputWidth).Select(_ => (float)random.NextDouble()).ToArray();
        bool labels = TModel.Description.Loss == Loss.SoftmaxCrossEntropy;
        float[] y = Enumerable.Range(0, count * targetWidth)
            .Select(_ => labels ? random.Next(TModel.Description.OutputCount) : (float)random.NextDouble()).ToArray();
        var model = new Model<TModel>(seed: 4);
        float[] expected = model.Parameters.ToArray();
        var rule = new UpdateRule(0.05f, 0f, 0f, false);
        using var session = new TrainingSession<TModel>(model, new Dataset<TModel>(x, y),
            new TrainingOptions { LearningRate = rule.LearningRate, BatchSize = batch, Steps = 4, Seed = 9 });
        for (int step = 0; step < 4; step++)
        {
            Assert.True(session.Step());
            int[] drawn = session.LastBatchIndices.ToArray();
            float[] inputs = drawn.SelectMany(i => x.Skip(i * inputWidth).Take(inputWidth)).ToArray();
            float[] targets = drawn.SelectMany(i => y.Skip(i * targetWidth).Take(targetWidth)).ToArray();
            float loss = TModel.TrainStep(expected, inputs, targets, new float[expected.Length], default,
                new float[TModel.WorkspaceLength(batch)], batch, rule, float.PositiveInfinity);
            Assert.Equal(loss, session.LastLoss);
            Assert.Equal(expected, model.Parameters.ToArray());
        }
    }
}
