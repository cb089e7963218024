using System.Numerics.Tensors;
using HpcSgd.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// Issue #15, per-example gradient norms: after LossAndGradient on a batch, PerExampleGradientNorms gives each sample's
/// |grad l_b|^2, checked against that sample's gradient computed on its own (LossAndGradient on a batch of one, a
/// different kernel path), for every declared model, at batch sizes that take the specialized and the general kernels.
/// </summary>
public class GradientNormTests
{
    public static TheoryData<string, int> Cases() => AllModels.WithBatchSizes();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_sample_s_norm_is_that_of_its_own_gradient(string model, int batch) =>
        AllModels.Run(model, new NormCheck(Math.Min(batch, 300)));

    private sealed class NormCheck(int batch) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            float[] parameters = TestData.Parameters(d, seed: 3);
            (float[] inputs, float[] targets) = TestData.Batch(d, batch, seed: 4);
            var gradient = new float[d.ParameterCount];
            var workspace = new float[TModel.WorkspaceLength(batch)];
            TModel.LossAndGradient(parameters, inputs, targets, gradient, workspace, batch);
            var norms = new float[batch];
            TModel.PerExampleGradientNorms(parameters, inputs, targets, workspace, [], norms, batch);
            // With the inputs' squared norms given (as a session gathers them from the data set), the same values.
            float[] known = [.. Enumerable.Range(0, batch).Select(b => TensorPrimitives.SumOfSquares<float>(inputs.AsSpan(b * d.InputCount, d.InputCount)))];
            var withKnown = new float[batch];
            TModel.PerExampleGradientNorms(parameters, inputs, targets, workspace, known, withKnown, batch);
            Assert.Equal(norms, withKnown);

            var single = new float[d.ParameterCount];
            var singleWorkspace = new float[TModel.WorkspaceLength(1)];
            int targetWidth = d.TargetWidth;
            double meanSquares = 0;
            var mean = new double[d.ParameterCount];
            for (int b = 0; b < batch; b++)
            {
                TModel.LossAndGradient(parameters, inputs.AsSpan(b * d.InputCount, d.InputCount), targets.AsSpan(b * targetWidth, targetWidth), single, singleWorkspace, 1);
                float expected = TensorPrimitives.SumOfSquares<float>(single);
                Assert.True(MathF.Abs(norms[b] - expected) <= 1e-3f * expected + 1e-6f, $"{d.Name}, batch {batch}, sample {b}: {norms[b]} against {expected}");
                meanSquares += expected / batch;
                for (int p = 0; p < mean.Length; p++)
                {
                    mean[p] += single[p] / (double)batch;
                }
            }
            // The batch gradient is the mean of the samples' gradients: the identity the noise estimate rests on.
            for (int p = 0; p < mean.Length; p++)
            {
                Assert.True(Math.Abs(gradient[p] - mean[p]) <= 1e-4 * Math.Sqrt(meanSquares) + 1e-6, $"{d.Name}, parameter {p}: {gradient[p]} against {mean[p]}");
            }
        }
    }

    [Fact]
    public void A_short_norms_or_input_norms_span_is_refused_by_name()
    {
        ModelDescription d = Models.TiledMlp.Description;
        var e = Assert.Throws<ArgumentException>(() => Models.TiledMlp.PerExampleGradientNorms(new float[d.ParameterCount], new float[6 * 37], new float[6 * 3],
            new float[Models.TiledMlp.WorkspaceLength(6)], [], new float[5], 6));
        Assert.Equal("norms", e.ParamName);
        var known = Assert.Throws<ArgumentException>(() => Models.TiledMlp.PerExampleGradientNorms(new float[d.ParameterCount], new float[6 * 37], new float[6 * 3],
            new float[Models.TiledMlp.WorkspaceLength(6)], new float[4], new float[6], 6));
        Assert.Equal("inputSquaredNorms", known.ParamName);
    }
}
