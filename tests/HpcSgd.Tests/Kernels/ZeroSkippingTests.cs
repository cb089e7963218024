using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// At batch 1 an input-major layer skips the exact zeros of its input (the model's input, or a ReLU layer's output)
/// when at least 1/8 of them are zero: its forward pass reads only the weight rows of nonzero inputs and, under plain
/// SGD, the fused update touches only those rows. Adding a zero product changes no sum, so the result must equal the
/// dense general path bit for bit, whatever the share of zeros and whatever the update rule.
/// </summary>
[Trait("Category", "Kernels")]
public class ZeroSkippingTests
{
    public static TheoryData<double, float, float> Cases()
    {
        var data = new TheoryData<double, float, float>();
        foreach (double zeros in new[] { 0.0, 0.1, 0.5, 0.95, 1.0 })
        {
            data.Add(zeros, 0f, 0f);
            data.Add(zeros, 0f, 0.01f);
            data.Add(zeros, 0.9f, 0f);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FashionMlp_SkippingZeros_EqualsTheGeneralPath(double zeros, float momentum, float weightDecay) =>
        AssertSame<FashionMlp, FashionMlpGeneral>(zeros, new UpdateRule(0.05f, momentum, weightDecay));

    /// <summary>TiledMlp's second layer is input-major after a ReLU layer: it skips the zeros of the hidden layer too.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void TiledMlp_SkippingZeros_EqualsTheGeneralPath(double zeros, float momentum, float weightDecay) =>
        AssertSame<TiledMlp, TiledMlpGeneral>(zeros, new UpdateRule(0.05f, momentum, weightDecay));

    [Fact]
    public void CountZeros_CountsBothSignsAndNotNaN()
    {
        foreach (int length in new[] { 0, 1, 15, 16, 17, 37, 784 })
        {
            var values = new float[length];
            int expected = 0;
            for (int i = 0; i < length; i++)
            {
                values[i] = (i % 5) switch { 0 => 0f, 1 => -0f, 2 => float.NaN, _ => i * 0.5f };
                expected += i % 5 < 2 ? 1 : 0;
            }
            Assert.Equal(expected, DenseMath.CountZeros(ref values.AsSpan().GetPinnableReference(), length));
        }
    }

    [Fact]
    public void NonzeroIndices_ListsTheNonzeroPositionsInOrder()
    {
        float[] values = [0f, 2f, -0f, float.NaN, 0f, -1e-30f, 0f];
        var indices = new int[values.Length];
        int count = DenseMath.NonzeroIndices(ref values[0], values.Length, ref indices[0]);
        Assert.Equal([1, 3, 5], indices.AsSpan(0, count).ToArray());
    }

    private static void AssertSame<TSpecialized, TGeneral>(double zeros, UpdateRule rule)
        where TSpecialized : ISgdModel<TSpecialized> where TGeneral : ISgdModel<TGeneral>
    {
        ModelDescription d = TSpecialized.Description;
        Assert.Contains(1, d.DeclaredBatchSizes);
        Assert.Empty(TGeneral.Description.DeclaredBatchSizes);
        float[] start = TestData.Parameters(d, seed: 5);
        (float[] dense, float[] targets) = TestData.Batch(d, 1, seed: 6);
        float[] inputs = TestData.WithZeros(dense, zeros, seed: 7);
        float[] startVelocity = rule.Momentum == 0f ? [] : TestData.Parameters(d, seed: 8);

        // Forward (and the dense backward) through LossAndGradient and Predict.
        var specializedGradient = new float[d.ParameterCount];
        var generalGradient = new float[d.ParameterCount];
        Assert.Equal(
            TGeneral.LossAndGradient(start, inputs, targets, generalGradient, new float[TGeneral.WorkspaceLength(1)], 1),
            TSpecialized.LossAndGradient(start, inputs, targets, specializedGradient, new float[TSpecialized.WorkspaceLength(1)], 1));
        Assert.Equal(generalGradient, specializedGradient);
        var specializedOutputs = new float[d.OutputCount];
        var generalOutputs = new float[d.OutputCount];
        TSpecialized.Predict(start, inputs, specializedOutputs, new float[TSpecialized.WorkspaceLength(1)], 1);
        TGeneral.Predict(start, inputs, generalOutputs, new float[TGeneral.WorkspaceLength(1)], 1);
        Assert.Equal(generalOutputs, specializedOutputs);

        // The fused step (zero-skipping update under plain SGD) against the general two-pass step.
        float[] general = (float[])start.Clone();
        float[] generalVelocity = (float[])startVelocity.Clone();
        float generalLoss = TGeneral.TrainStep(general, inputs, targets, new float[d.ParameterCount], generalVelocity, new float[TGeneral.WorkspaceLength(1)], 1, rule, float.PositiveInfinity);
        float[] specialized = (float[])start.Clone();
        float[] specializedVelocity = (float[])startVelocity.Clone();
        float specializedLoss = TSpecialized.TrainStep(specialized, inputs, targets, new float[d.ParameterCount], specializedVelocity, new float[TSpecialized.WorkspaceLength(1)], 1, rule, float.PositiveInfinity);
        Assert.Equal(generalLoss, specializedLoss);
        Assert.Equal(general, specialized);
        Assert.Equal(generalVelocity, specializedVelocity);
        Assert.NotEqual(start, specialized);
    }
}
