using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Tests.Models;

namespace HpcSgd.Tests.Kernels;

/// <summary>The generated entry points check every span before touching memory, and say which one is short.</summary>
public class KernelArgumentTests
{
    private static readonly float[] Parameters = new float[SoftmaxModel.ParameterCount];
    private static readonly float[] Gradient = new float[SoftmaxModel.ParameterCount];

    private static string LossAndGradientError(int batch, int parameters, int inputs, int targets, int gradient, int workspace, float label = 0f)
    {
        float[] labels = new float[targets];
        Array.Fill(labels, label);
        ArgumentException error = Assert.ThrowsAny<ArgumentException>(() => SoftmaxModel.LossAndGradient(
            new float[parameters], new float[inputs], labels, new float[gradient], new float[workspace], batch));
        return error.Message;
    }

    [Fact]
    public void ZeroBatch_IsRefused() =>
        Assert.StartsWith("The batch size must be positive.", LossAndGradientError(0, 96, 23, 1, 96, 100));

    [Fact]
    public void ShortParameters_AreNamed() =>
        Assert.Equal("parameters holds 95 floats but 96 are needed (ParameterCount). (Parameter 'parameters')",
            LossAndGradientError(1, 95, 23, 1, 96, SoftmaxModel.WorkspaceLength(1)));

    [Fact]
    public void ShortInputs_AreNamed() =>
        Assert.Equal("inputs holds 45 floats but 46 are needed (batch size x InputCount). (Parameter 'inputs')",
            LossAndGradientError(2, 96, 45, 2, 96, SoftmaxModel.WorkspaceLength(2)));

    [Fact]
    public void ShortTargets_AreNamed() =>
        Assert.Equal("targets holds 1 floats but 2 are needed (batch size x 1). (Parameter 'targets')",
            LossAndGradientError(2, 96, 46, 1, 96, SoftmaxModel.WorkspaceLength(2)));

    [Fact]
    public void ShortGradient_IsNamed() =>
        Assert.Equal("gradient holds 10 floats but 96 are needed (ParameterCount). (Parameter 'gradient')",
            LossAndGradientError(1, 96, 23, 1, 10, SoftmaxModel.WorkspaceLength(1)));

    [Fact]
    public void ShortWorkspace_IsNamed() =>
        Assert.StartsWith("workspace holds 3 floats but 8 are needed (WorkspaceLength(batchSize)).",
            LossAndGradientError(2, 96, 46, 2, 96, 3));

    [Fact]
    public void LabelOutOfRange_IsRefusedBeforeItIndexesMemory() =>
        Assert.StartsWith("targets[0] is 4, which is not a class index in [0, 4).",
            LossAndGradientError(1, 96, 23, 1, 96, SoftmaxModel.WorkspaceLength(1), label: 4f));

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteWeight_OfAnAddedGradient_IsNamed(float weight)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxModel.AccumulateLossAndGradient(
            Parameters, new float[23], new float[1], Gradient, new float[SoftmaxModel.WorkspaceLength(1)], 1, weight));
        Assert.Equal("weight", error.ParamName);
    }

    [Fact]
    public void ShortOutputs_InPredict_AreNamed()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            SoftmaxModel.Predict(Parameters, new float[46], new float[7], new float[SoftmaxModel.WorkspaceLength(2)], 2));
        Assert.Equal("outputs", error.ParamName);
    }

    [Fact]
    public void MissingVelocity_WithMomentum_IsNamed()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            SoftmaxModel.Update(new float[96], Gradient, Span<float>.Empty, new UpdateRule(0.1f, Momentum: 0.9f)));
        Assert.Equal("velocity", error.ParamName);
    }

    [Fact]
    public void ModelPredict_RefusesPartialSamplesAndShortOutputs()
    {
        var model = new Model<SoftmaxModel>(1);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.Predict(new float[24], new float[8])).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => model.Predict(new float[46], new float[7])).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => new Model<SoftmaxModel>(new float[95])).ParamName);
    }

    [Fact]
    public void ModelDescription_RefusesLayersThatDoNotChainOrOverlap()
    {
        Assert.Contains("layer 1 takes 3 inputs but layer 0 produces 2",
            Assert.Throws<ArgumentException>(() => new ModelDescription("M", Loss.MeanSquaredError,
                [new LayerDescription(4, 2, Activation.Identity, 0, 8), new LayerDescription(3, 1, Activation.Identity, 10, 13)], [])).Message);
        Assert.Contains("layer 0's weights start at 1, not 0",
            Assert.Throws<ArgumentException>(() => new ModelDescription("M", Loss.MeanSquaredError,
                [new LayerDescription(4, 2, Activation.Identity, 1, 9)], [])).Message);
    }
}
