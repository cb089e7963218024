using HpcSgd.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Kernels;

/// <summary>Generated gradients against central finite differences of the loss, computed in double precision.</summary>
[Trait("Category", "Kernels")]
public class GradientCheckTests
{
    private const double Step = 1e-6;

    public static TheoryData<string> Models => AllModels.Theory();

    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedGradient_MatchesCentralDifferences(string model) => AllModels.Run(model, new Check());

    [Fact]
    public void CheckedModels_CoverEveryHiddenActivationUnderEveryLoss_AndEveryOutputActivationUnderMse()
    {
        ModelDescription[] models = AllModels.Names.Select(AllModels.Describe).ToArray();
        foreach (Loss loss in Enum.GetValues<Loss>())
        {
            var hidden = models.Where(d => d.Loss == loss).SelectMany(d => d.Layers.SkipLast(1).Select(l => l.Activation)).ToHashSet();
            Assert.True(hidden.SetEquals(Enum.GetValues<Activation>()), $"{loss}: hidden activations checked: {string.Join(", ", hidden)}");
        }
        var outputs = models.Where(d => d.Loss == Loss.MeanSquaredError).Select(d => d.Layers[^1].Activation).ToHashSet();
        Assert.True(outputs.SetEquals(Enum.GetValues<Activation>()), $"MSE output activations checked: {string.Join(", ", outputs)}");
        Assert.Contains(models, d => d.Layers.Count >= 3);
        Assert.Contains(models, d => d.Layers.Any(l => l.Layout == WeightLayout.InputMajor));
        Assert.Contains(models, d => d.Layers.Any(l => l.Layout == WeightLayout.InputMajorPanels));
    }

    private sealed class Check : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            foreach (int batch in new[] { 3, d.DeclaredBatchSizes.Count > 0 ? d.DeclaredBatchSizes[0] : 5 })
            {
                float[] parameters = TestData.Parameters(d, seed: 11 * batch);
                (float[] inputs, float[] targets) = TestData.Batch(d, batch, seed: 13 * batch);
                var gradient = new float[d.ParameterCount];
                TModel.LossAndGradient(parameters, inputs, targets, gradient, new float[TModel.WorkspaceLength(batch)], batch);

                double[] p = TestData.ToDouble(parameters);
                var exact = new double[d.ParameterCount];
                ScalarReference.LossAndGradient(d, p, inputs, targets, batch, exact);
                for (int i = 0; i < p.Length; i++)
                {
                    double saved = p[i];
                    p[i] = saved + Step;
                    double up = ScalarReference.LossAndGradient(d, p, inputs, targets, batch, null);
                    p[i] = saved - Step;
                    double down = ScalarReference.LossAndGradient(d, p, inputs, targets, batch, null);
                    p[i] = saved;
                    double numeric = (up - down) / (2 * Step);

                    Tolerance.AssertClose(numeric, exact[i], Tolerance.FiniteDifferenceAbsolute, 1e-5, $"{d.Name} reference gradient[{i}], batch {batch}");
                    Tolerance.AssertKernelClose(numeric, gradient[i], $"{d.Name} generated gradient[{i}], batch {batch}");
                }
            }
        }
    }
}
