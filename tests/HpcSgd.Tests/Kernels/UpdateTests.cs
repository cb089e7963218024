using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Tests.Reference;

namespace HpcSgd.Tests.Kernels;

/// <summary>The generated update against the torch.optim.SGD formulas evaluated in double.</summary>
[Trait("Category", "Kernels")]
public class UpdateTests
{
    public static TheoryData<string, float, float, bool> Cases()
    {
        var data = new TheoryData<string, float, float, bool>();
        foreach (string model in AllModels.Names)
        {
            data.Add(model, 0f, 0f, false);     // plain SGD
            data.Add(model, 0f, 0.01f, false);  // with weight decay
            data.Add(model, 0.9f, 0f, false);   // classic momentum
            data.Add(model, 0.8f, 0.05f, true); // Nesterov with weight decay
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Update_FollowsSgdFormulas(string model, float momentum, float weightDecay, bool nesterov) =>
        AllModels.Run(model, new Check(new UpdateRule(0.05f, momentum, weightDecay, nesterov)));

    private sealed class Check(UpdateRule rule) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            float[] parameters = TestData.Parameters(d, 1);
            float[] gradient = TestData.Parameters(d, 2);
            float[] velocity = TestData.Parameters(d, 3);
            double[] p = TestData.ToDouble(parameters), g = TestData.ToDouble(gradient), v = TestData.ToDouble(velocity);

            for (int step = 0; step < 3; step++)
            {
                TModel.Update(parameters, gradient, rule.Momentum == 0f ? Span<float>.Empty : velocity, rule);
                for (int i = 0; i < p.Length; i++)
                {
                    double gi = g[i] + rule.WeightDecay * p[i];
                    if (rule.Momentum == 0f)
                    {
                        p[i] -= rule.LearningRate * gi;
                        continue;
                    }
                    v[i] = rule.Momentum * v[i] + gi;
                    p[i] -= rule.LearningRate * (rule.Nesterov ? gi + rule.Momentum * v[i] : v[i]);
                }
            }
            for (int i = 0; i < p.Length; i++)
            {
                Tolerance.AssertClose(p[i], parameters[i], 1e-6, 1e-5, $"{d.Name} parameter[{i}] after 3 updates with {rule}");
                if (rule.Momentum != 0f)
                {
                    Tolerance.AssertClose(v[i], velocity[i], 1e-6, 1e-5, $"{d.Name} velocity[{i}] with {rule}");
                }
            }
        }
    }
}
