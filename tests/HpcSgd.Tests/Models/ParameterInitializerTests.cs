using HpcSgd.Models;

namespace HpcSgd.Tests.Models;

public class ParameterInitializerTests
{
    [Fact]
    public void Weights_FollowHeForReLUAndGlorotOtherwise_BiasesAreZero()
    {
        var model = new Model<DeepSoftmax>(seed: 7);
        IReadOnlyList<LayerDescription> layers = DeepSoftmax.Description.Layers;
        ReadOnlySpan<float> p = model.Parameters;
        foreach (LayerDescription layer in layers)
        {
            double limit = layer.Activation == Activation.ReLU
                ? Math.Sqrt(6.0 / layer.Inputs)
                : Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            float[] weights = p.Slice(layer.WeightOffset, layer.Inputs * layer.Outputs).ToArray();
            Assert.All(weights, w => Assert.InRange(Math.Abs(w), 0, limit));
            // Uniform on [-limit, limit]: the largest magnitude comes close to the limit, the mean is near 0.
            Assert.True(weights.Max(Math.Abs) > 0.8 * limit, $"layer {layer}: max |w| {weights.Max(Math.Abs)} vs limit {limit}");
            Assert.InRange(weights.Average(), -0.3 * limit, 0.3 * limit);
            Assert.All(p.Slice(layer.BiasOffset, layer.Outputs).ToArray(), b => Assert.Equal(0f, b));
        }
    }

    [Fact]
    public void SameSeed_GivesSameParameters_OtherSeedDoesNot()
    {
        Assert.Equal(new Model<DeepSoftmax>(3).Parameters.ToArray(), new Model<DeepSoftmax>(3).Parameters.ToArray());
        Assert.NotEqual(new Model<DeepSoftmax>(3).Parameters.ToArray(), new Model<DeepSoftmax>(4).Parameters.ToArray());
    }
}
