using HpcSgd.Models;

namespace HpcSgd.Tests.Reference;

/// <summary>Seeded random batches shaped for a model: inputs in [-1, 1), targets valid for its loss.</summary>
internal static class TestData
{
    public static (float[] Inputs, float[] Targets) Batch(ModelDescription model, int batch, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[batch * model.InputCount];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)(random.NextDouble() * 2 - 1);
        }
        var targets = new float[batch * model.TargetWidth];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = model.Loss switch
            {
                Loss.MeanSquaredError => (float)(random.NextDouble() * 4 - 2),
                Loss.BinaryCrossEntropy => (float)random.NextDouble(),
                _ => random.Next(model.OutputCount),
            };
        }
        return (inputs, targets);
    }

    /// <summary>
    /// <paramref name="inputs"/> as 8-bit image pixels scaled to [0, 1] (|x| rounded to a byte b, then b * (1f / 255f)):
    /// a data set of such features is gathered from its byte copy.
    /// </summary>
    public static float[] AsBytes(float[] inputs) => [.. inputs.Select(x => MathF.Round(MathF.Abs(x) * 255f) * (1f / 255f))];

    /// <summary>Sets a random <paramref name="zeroFraction"/> of <paramref name="inputs"/> to zero (as image pixels or one-hot features are).</summary>
    public static float[] WithZeros(float[] inputs, double zeroFraction, int seed)
    {
        var random = new Random(seed);
        float[] sparse = (float[])inputs.Clone();
        for (int i = 0; i < sparse.Length; i++)
        {
            if (random.NextDouble() < zeroFraction)
            {
                sparse[i] = 0f;
            }
        }
        return sparse;
    }

    /// <summary>Parameters drawn wider than the initializer's, so no unit sits idle (e.g. a dead ReLU) by chance.</summary>
    public static float[] Parameters(ModelDescription model, int seed)
    {
        var random = new Random(seed);
        var parameters = new float[model.ParameterCount];
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() * 1.6 - 0.8);
        }
        return parameters;
    }

    public static double[] ToDouble(ReadOnlySpan<float> values) => values.ToArray().Select(v => (double)v).ToArray();
}
