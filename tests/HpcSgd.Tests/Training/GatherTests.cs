using HpcSgd;
using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// Narrow samples are gathered from side-by-side rows, wide ones eight rows at a time (byte-valued ones from a byte
/// copy, widened); either way the batch a step trains on must be exactly the drawn samples. A kernel test: the widening
/// has a path per instruction set, so it also runs on ARM64 (HpcSgd.KernelCheck).
/// </summary>
[Trait("Category", "Kernels")]
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

    /// <summary>
    /// Features that are 8-bit values scaled to [0, 1] are gathered from a byte copy and widened: 37 inputs (a tail after
    /// the 16-byte steps) and 784 (Fashion-MNIST's rows); batches with and without a remainder of eight rows.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(33)]
    public void A_session_step_on_byte_valued_wide_rows_trains_on_the_drawn_samples(int batch)
    {
        AssertStepsTrainOnDrawnSamples<WideRegression>(batch, count: 300, byteValued: true);
        AssertStepsTrainOnDrawnSamples<FashionMlp>(batch, count: 200, byteValued: true);
    }

    [Fact]
    public void Byte_rows_hold_each_feature_s_byte_when_every_feature_is_one()
    {
        float[] x = Enumerable.Range(0, 300 * 37).Select(i => (i * 7 % 256) * (1f / 255f)).ToArray();
        var data = new Dataset<WideRegression>(x, new float[300 * 3]);
        Assert.Equal(x.Select(v => (byte)MathF.Round(v * 255f)).ToArray(), data.ByteRows);
        Assert.Null(new Dataset<WideRegression>(x.Select(v => v * 255f).ToArray(), new float[300 * 3]).ByteRows); // 0..255, not scaled
    }

    /// <summary>One value that is not exactly (float)b / 255 for a byte b, at a place the vector pass or the tail checks, means no byte rows.</summary>
    [Theory]
    [InlineData(0.5f, 5)]
    [InlineData(-0f, 17)] // the byte 0 widens to +0, not -0
    [InlineData(-1f / 255f, 40)]
    [InlineData(256f / 255f, 100)]
    [InlineData(1e-9f, 33 * 37 - 1)] // the last value, in the scalar tail
    public void Byte_rows_are_left_out_when_some_feature_is_not_a_byte_over_255(float value, int at)
    {
        float[] x = Enumerable.Range(0, 33 * 37).Select(i => (i % 256) * (1f / 255f)).ToArray();
        Assert.NotNull(new Dataset<WideRegression>(x, new float[33 * 3]).ByteRows);
        x[at] = value;
        Assert.Null(new Dataset<WideRegression>(x, new float[33 * 3]).ByteRows);
        x[at] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(128f / 255f) + 1); // one ulp off a byte
        Assert.Null(new Dataset<WideRegression>(x, new float[33 * 3]).ByteRows);
    }

    /// <summary>Replace keeps the byte rows in step with a byte-valued sample and drops them for good when a sample is not one.</summary>
    [Fact]
    public void Replacing_a_sample_updates_or_drops_the_byte_rows_and_steps_still_train_on_the_drawn_samples()
    {
        AssertStepsTrainOnDrawnSamples<WideRegression>(8, count: 300, byteValued: true, change: (data, x) =>
        {
            float[] bytes = Enumerable.Range(0, 37).Select(i => (255 - i) * (1f / 255f)).ToArray();
            data.Replace(3, bytes, [0f, 0f, 0f]);
            bytes.CopyTo(x, 3 * 37);
            Assert.Equal(Enumerable.Range(0, 37).Select(i => (byte)(255 - i)).ToArray(), data.ByteRows!.AsSpan(3 * 37, 37).ToArray());
        });
        AssertStepsTrainOnDrawnSamples<WideRegression>(8, count: 300, byteValued: true, change: (data, x) =>
        {
            float[] other = Enumerable.Range(0, 37).Select(i => i * 0.01f).ToArray();
            data.Replace(5, other, [0f, 0f, 0f]);
            other.CopyTo(x, 5 * 37);
            Assert.Null(data.ByteRows);
            float[] bytesAgain = new float[37];
            data.Replace(5, bytesAgain, [0f, 0f, 0f]);
            bytesAgain.CopyTo(x, 5 * 37);
            Assert.Null(data.ByteRows); // dropped for good: the other rows were not kept in step meanwhile
        });
    }

    /// <summary>
    /// Each session step's loss and parameters equal <c>TrainStep</c> on the rows the step says it drew, copied by hand.
    /// <paramref name="byteValued"/>: features k / 255 (gathered from the byte rows); <paramref name="change"/> edits the
    /// dataset and the features it was made from alike before the steps.
    /// </summary>
    private static void AssertStepsTrainOnDrawnSamples<TModel>(int batch, int count, bool byteValued = false, Action<Dataset<TModel>, float[]>? change = null)
        where TModel : ISgdModel<TModel>
    {
        int inputWidth = TModel.Description.InputCount, targetWidth = TModel.Description.TargetWidth;
        var random = new Random(5);
        float[] x = Enumerable.Range(0, count * inputWidth).Select(_ => byteValued ? random.Next(256) * (1f / 255f) : (float)random.NextDouble()).ToArray();
        bool labels = TModel.Description.Loss == Loss.SoftmaxCrossEntropy;
        float[] y = Enumerable.Range(0, count * targetWidth)
            .Select(_ => labels ? random.Next(TModel.Description.OutputCount) : (float)random.NextDouble()).ToArray();
        var model = new Model<TModel>(seed: 4);
        float[] expected = model.Parameters.ToArray();
        var rule = new UpdateRule(0.05f, 0f, 0f, false);
        var data = new Dataset<TModel>(x, y);
        Assert.Equal(byteValued && inputWidth >= Dataset<TModel>.ByteRowMinimumWidth, data.ByteRows is not null);
        using var session = new TrainingSession<TModel>(model, data,
            new TrainingOptions { LearningRate = rule.LearningRate, BatchSize = batch, Steps = 4, Seed = 9 });
        change?.Invoke(data, x);
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
