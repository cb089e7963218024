using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// The fused training step (update applied from the weight-gradient registers at declared batch sizes up to 256)
/// against the two-pass LossAndGradient + Update: the same arithmetic, so bit for bit equal parameters and velocity.
/// </summary>
[Trait("Category", "Kernels")]
public class TrainStepTests
{
    public static TheoryData<string, int, float, float, bool> Cases()
    {
        var data = new TheoryData<string, int, float, float, bool>();
        foreach (string model in AllModels.Names.Concat(AllModels.LargeNames))
        {
            foreach (int batch in AllModels.Describe(model).DeclaredBatchSizes.Append(5).Distinct())
            {
                data.Add(model, batch, 0f, 0f, false);
            }
            int first = AllModels.Describe(model).DeclaredBatchSizes.DefaultIfEmpty(5).First();
            data.Add(model, first, 0f, 0.01f, false);
            data.Add(model, first, 0.9f, 0.01f, false);
            data.Add(model, first, 0.9f, 0f, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainStep_EqualsLossAndGradientThenUpdate_BitForBit(string model, int batch, float momentum, float weightDecay, bool nesterov) =>
        AllModels.Run(model, new Check(batch, new UpdateRule(0.05f, momentum, weightDecay, nesterov)));

    [Fact]
    public void TrainStep_OverTheLossLimit_LeavesParametersAndVelocityAlone()
    {
        ModelDescription d = Models.TiledMlp.Description;
        float[] parameters = TestData.Parameters(d, seed: 1);
        float[] before = (float[])parameters.Clone();
        (float[] x, float[] y) = TestData.Batch(d, 6, seed: 2);
        var velocity = new float[d.ParameterCount];
        velocity.AsSpan().Fill(0.5f);
        float loss = Models.TiledMlp.TrainStep(parameters, x, y, new float[d.ParameterCount], velocity, new float[Models.TiledMlp.WorkspaceLength(6)], 6,
            new UpdateRule(0.1f, 0.9f), lossLimit: 0f);
        Assert.True(loss > 0f);
        Assert.Equal(before, parameters);
        Assert.All(velocity, v => Assert.Equal(0.5f, v));
    }

    private sealed class Check(int batch, UpdateRule rule) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            float[] start = TestData.Parameters(d, seed: batch + 3);
            (float[] x, float[] y) = TestData.Batch(d, batch, seed: batch + 4);
            float[] startVelocity = rule.Momentum == 0f ? [] : TestData.Parameters(d, seed: 99);

            float[] twoPass = (float[])start.Clone();
            float[] twoPassVelocity = (float[])startVelocity.Clone();
            var gradient = new float[d.ParameterCount];
            float expectedLoss = TModel.LossAndGradient(twoPass, x, y, gradient, new float[TModel.WorkspaceLength(batch)], batch);
            TModel.Update(twoPass, gradient, twoPassVelocity, rule);

            float[] fused = (float[])start.Clone();
            float[] fusedVelocity = (float[])startVelocity.Clone();
            float loss = TModel.TrainStep(fused, x, y, new float[d.ParameterCount], fusedVelocity, new float[TModel.WorkspaceLength(batch)], batch, rule, float.PositiveInfinity);

            Assert.Equal(expectedLoss, loss);
            Assert.Equal(twoPass, fused);
            Assert.Equal(twoPassVelocity, fusedVelocity);
            Assert.NotEqual(start, fused);
        }
    }
}
