using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// The step on a batch of byte rows (<see cref="ByteRowBatch"/>) against the step on the same rows widened to floats
/// beforehand: bit for bit equal loss, parameters, velocity and gradient, and the widened rows left in the inputs.
/// Models whose first layer runs in dot form read the rows inside that layer's forward pass (the strips' first column
/// tile widens them, the rows ahead are requested, depths that leave a scalar tail); the others widen them first.
/// </summary>
[Trait("Category", "Kernels")]
public class ByteRowStepTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string model in AllModels.Names.Concat(AllModels.LargeNames))
        {
            // 13 rows: strips of two with one left over, and rows ahead that run past the batch.
            foreach (int batch in AllModels.Describe(model).DeclaredBatchSizes.Concat([1, 5, 13]).Distinct())
            {
                data.Add(model, batch);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainStep_OnByteRows_EqualsTrainStepOnTheWidenedFloats(string model, int batch) =>
        AllModels.Run(model, new StepCheck(batch));

    [Theory]
    [MemberData(nameof(Cases))]
    public void AccumulateLossAndGradient_OnByteRows_EqualsItOnTheWidenedFloats(string model, int batch) =>
        AllModels.Run(model, new AccumulateCheck(batch));

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(77)]
    public void FashionSoftmaxShape_GeneralPath_OnByteRows_EqualsTheWidenedFloats(int batch)
    {
        new StepCheck(batch).Run<FashionSoftmaxGeneral>();
        new AccumulateCheck(batch).Run<FashionSoftmaxGeneral>();
    }

    [Fact]
    public void TrainStep_OnRowsOfAnotherWidth_ThrowsNamingTheRows()
    {
        ModelDescription d = SoftmaxModel.Description;
        (byte[] table, int[] indices, _) = ByteBatch(d.InputCount - 1, 4, seed: 1);
        float[] parameters = TestData.Parameters(d, seed: 2);
        var e = Assert.Throws<ArgumentException>(() => SoftmaxModel.TrainStep(parameters, new ByteRowBatch(table, d.InputCount - 1, indices),
            new float[4 * d.InputCount], new float[4], new float[d.ParameterCount], [], new float[SoftmaxModel.WorkspaceLength(4)], new UpdateRule(0.1f), float.PositiveInfinity));
        Assert.Equal("rows", e.ParamName);
        Assert.Contains($"{d.InputCount - 1} bytes", e.Message);
        Assert.Contains($"{d.InputCount} inputs", e.Message);
    }

    [Theory]
    [InlineData(nameof(SoftmaxModel))] // reads the rows itself
    [InlineData(nameof(TiledMlp))] // widens them first
    public void TrainStep_WithInputsTooShortForTheRows_ThrowsNamingTheInputs(string model) =>
        AllModels.Run(model, new ShortInputsCheck());

    [Fact]
    public void ByteRowBatch_WithAnIndexOutsideTheTable_ThrowsNamingItsPlace()
    {
        var table = new byte[10 * 3];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ByteRowBatch(table, 3, [0, 9, 10, 1]));
        Assert.Equal("indices", e.ParamName);
        Assert.Contains("indices[2] is 10", e.Message);
        Assert.Contains("10-row table", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteRowBatch(table, 3, [-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteRowBatch(table, 0, [0]));
    }

    [Fact]
    public void WidenInto_WritesEachRowsBytesTimesTheScale()
    {
        (byte[] table, int[] indices, float[] widened) = ByteBatch(37, 21, seed: 5);
        var destination = new float[widened.Length];
        new ByteRowBatch(table, 37, indices).WidenInto(destination);
        Assert.Equal(widened, destination);
        Assert.Throws<ArgumentException>(() => new ByteRowBatch(table, 37, indices).WidenInto(new float[widened.Length - 1]));
    }

    /// <summary>A table of random byte rows (more than the batch), rows drawn with repeats, and the batch as floats b * (1f / 255f).</summary>
    internal static (byte[] Table, int[] Indices, float[] Widened) ByteBatch(int width, int batch, int seed)
    {
        var random = new Random(seed);
        int rows = 2 * batch + 3;
        var table = new byte[rows * width];
        random.NextBytes(table);
        int[] indices = [.. Enumerable.Range(0, batch).Select(_ => random.Next(rows))];
        var widened = new float[batch * width];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < width; i++)
            {
                widened[b * width + i] = table[indices[b] * width + i] * (1f / 255f);
            }
        }
        return (table, indices, widened);
    }

    private sealed class StepCheck(int batch) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            (byte[] table, int[] indices, float[] widened) = ByteBatch(d.InputCount, batch, seed: batch + 11);
            float[] targets = TestData.Batch(d, batch, seed: batch + 12).Targets;
            float[] start = TestData.Parameters(d, seed: batch + 13);
            float[] startVelocity = TestData.Parameters(d, seed: batch + 14);
            var rule = new UpdateRule(0.05f, 0.9f, 0.01f);

            float[] fromFloats = (float[])start.Clone();
            float[] floatsVelocity = (float[])startVelocity.Clone();
            float expectedLoss = TModel.TrainStep(fromFloats, widened, targets, new float[d.ParameterCount], floatsVelocity,
                new float[TModel.WorkspaceLength(batch)], batch, rule, float.PositiveInfinity);

            float[] fromBytes = (float[])start.Clone();
            float[] bytesVelocity = (float[])startVelocity.Clone();
            var inputs = new float[batch * d.InputCount];
            inputs.AsSpan().Fill(float.NaN);
            float loss = TModel.TrainStep(fromBytes, new ByteRowBatch(table, d.InputCount, indices), inputs, targets, new float[d.ParameterCount],
                bytesVelocity, new float[TModel.WorkspaceLength(batch)], rule, float.PositiveInfinity);

            Assert.Equal(expectedLoss, loss);
            Assert.Equal(fromFloats, fromBytes);
            Assert.Equal(floatsVelocity, bytesVelocity);
            Assert.Equal(widened, inputs);
            Assert.NotEqual(start, fromBytes);
        }
    }

    private sealed class AccumulateCheck(int batch) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            (byte[] table, int[] indices, float[] widened) = ByteBatch(d.InputCount, batch, seed: batch + 21);
            float[] targets = TestData.Batch(d, batch, seed: batch + 22).Targets;
            float[] parameters = TestData.Parameters(d, seed: batch + 23);
            float[] start = TestData.Parameters(d, seed: batch + 24);

            float[] expected = (float[])start.Clone();
            float expectedLoss = TModel.AccumulateLossAndGradient(parameters, widened, targets, expected, new float[TModel.WorkspaceLength(batch)], batch, 0.37f);

            float[] sum = (float[])start.Clone();
            var inputs = new float[batch * d.InputCount];
            inputs.AsSpan().Fill(float.NaN);
            float loss = TModel.AccumulateLossAndGradient(parameters, new ByteRowBatch(table, d.InputCount, indices), inputs, targets, sum,
                new float[TModel.WorkspaceLength(batch)], 0.37f);

            Assert.Equal(expectedLoss, loss);
            Assert.Equal(expected, sum);
            Assert.Equal(widened, inputs);
            Assert.True(loss > 0f); // (a ReLU output layer may be dead for every byte batch, its gradient then zero)
        }
    }

    private sealed class ShortInputsCheck : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            (byte[] table, int[] indices, _) = ByteBatch(d.InputCount, 6, seed: 31);
            float[] targets = TestData.Batch(d, 6, seed: 32).Targets;
            var e = Assert.Throws<ArgumentException>(() => TModel.TrainStep(TestData.Parameters(d, seed: 33), new ByteRowBatch(table, d.InputCount, indices),
                new float[6 * d.InputCount - 1], targets, new float[d.ParameterCount], [], new float[TModel.WorkspaceLength(6)], new UpdateRule(0.1f), float.PositiveInfinity));
            Assert.Equal("inputs", e.ParamName);
        }
    }
}
