using HpcSgd.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// The generated kernels (specialized for declared batch sizes, general for the rest) against the scalar
/// double reference, for every model. CI runs this class again with AVX-512, AVX2 and all SIMD disabled,
/// so the 512-, 256-, 128-bit and scalar paths are each compared with the same reference.
/// </summary>
[Trait("Category", "Kernels")]
public class KernelAgreementTests
{
    public static TheoryData<string, int> Cases => AllModels.WithBatchSizes();

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossAndGradient_MatchesScalarReference(string model, int batch) =>
        AllModels.Run(model, new LossAndGradientCheck(batch));

    [Theory]
    [MemberData(nameof(Cases))]
    public void AccumulateLossAndGradient_AddsTheWeightedGradient(string model, int batch) =>
        AllModels.Run(model, new AccumulateCheck(batch));

    [Theory]
    [MemberData(nameof(Cases))]
    public void PredictAndEvaluateLoss_MatchScalarReference(string model, int batch) =>
        AllModels.Run(model, new PredictCheck(batch));

    private sealed class LossAndGradientCheck(int batch) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            float[] parameters = TestData.Parameters(d, seed: batch);
            (float[] inputs, float[] targets) = TestData.Batch(d, batch, seed: batch + 1);
            var gradient = new float[d.ParameterCount];
            gradient.AsSpan().Fill(float.NaN); // the kernel must overwrite every entry
            var workspace = new float[TModel.WorkspaceLength(batch)];

            float loss = TModel.LossAndGradient(parameters, inputs, targets, gradient, workspace, batch);

            var expectedGradient = new double[d.ParameterCount];
            double expectedLoss = ScalarReference.LossAndGradient(d, TestData.ToDouble(parameters), inputs, targets, batch, expectedGradient);
            Tolerance.AssertKernelClose(expectedLoss, loss, $"{d.Name} loss at batch {batch}");
            for (int i = 0; i < gradient.Length; i++)
            {
                Tolerance.AssertKernelClose(expectedGradient[i], gradient[i], $"{d.Name} gradient[{i}] at batch {batch}");
            }
        }
    }

    /// <summary>What the gradient held before stays, plus weight x the reference gradient (a chunk's share of a large batch).</summary>
    private sealed class AccumulateCheck(int batch) : IModelCheck
    {
        private const float Weight = 0.37f;

        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            float[] parameters = TestData.Parameters(d, seed: batch + 3);
            (float[] inputs, float[] targets) = TestData.Batch(d, batch, seed: batch + 4);
            var gradient = new float[d.ParameterCount];
            for (int i = 0; i < gradient.Length; i++)
            {
                gradient[i] = 0.01f * (i % 7 - 3); // a sum of earlier chunks; 0 every seventh entry
            }
            float[] before = (float[])gradient.Clone();
            var workspace = new float[TModel.WorkspaceLength(batch)];

            float loss = TModel.AccumulateLossAndGradient(parameters, inputs, targets, gradient, workspace, batch, Weight);

            var reference = new double[d.ParameterCount];
            double expectedLoss = ScalarReference.LossAndGradient(d, TestData.ToDouble(parameters), inputs, targets, batch, reference);
            Tolerance.AssertKernelClose(expectedLoss, loss, $"{d.Name} loss at batch {batch}");
            for (int i = 0; i < gradient.Length; i++)
            {
                Tolerance.AssertKernelClose(before[i] + Weight * reference[i], gradient[i], $"{d.Name} gradient[{i}] at batch {batch}");
            }
        }
    }

    private sealed class PredictCheck(int batch) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            float[] parameters = TestData.Parameters(d, seed: batch + 7);
            (float[] inputs, float[] targets) = TestData.Batch(d, batch, seed: batch + 8);
            var workspace = new float[TModel.WorkspaceLength(batch)];
            var outputs = new float[batch * d.OutputCount];

            TModel.Predict(parameters, inputs, outputs, workspace, batch);
            float loss = TModel.EvaluateLoss(parameters, inputs, targets, workspace, batch);

            double[] p = TestData.ToDouble(parameters);
            for (int s = 0; s < batch; s++)
            {
                double[] expected = ScalarReference.Predict(d, p, inputs.AsSpan(s * d.InputCount, d.InputCount));
                for (int o = 0; o < d.OutputCount; o++)
                {
                    Tolerance.AssertKernelClose(expected[o], outputs[s * d.OutputCount + o], $"{d.Name} prediction [{s}, {o}] at batch {batch}");
                }
            }
            double expectedLoss = ScalarReference.LossAndGradient(d, p, inputs, targets, batch, gradient: null);
            Tolerance.AssertKernelClose(expectedLoss, loss, $"{d.Name} evaluated loss at batch {batch}");
        }
    }
}
