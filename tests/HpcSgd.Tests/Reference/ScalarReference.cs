using HpcSgd.Models;

namespace HpcSgd.Tests.Reference;

/// <summary>
/// A plain, double-precision implementation of the model contract, written from the formulas in the
/// docs and independent of the generated kernels: one sample at a time, no SIMD, no workspace tricks.
/// </summary>
internal static class ScalarReference
{
    /// <summary>Mean loss over the batch; when <paramref name="gradient"/> is given, fills it with the mean gradient.</summary>
    public static double LossAndGradient(ModelDescription model, double[] parameters, float[] inputs, float[] targets, int batch, double[]? gradient)
    {
        IReadOnlyList<LayerDescription> layers = model.Layers;
        if (gradient is not null)
        {
            Array.Clear(gradient);
        }
        double total = 0;
        for (int s = 0; s < batch; s++)
        {
            // Forward, keeping every layer's output.
            var activations = new double[layers.Count + 1][];
            activations[0] = new double[model.InputCount];
            for (int i = 0; i < model.InputCount; i++)
            {
                activations[0][i] = inputs[s * model.InputCount + i];
            }
            for (int l = 0; l < layers.Count; l++)
            {
                LayerDescription layer = layers[l];
                var output = new double[layer.Outputs];
                for (int o = 0; o < layer.Outputs; o++)
                {
                    double z = parameters[layer.BiasOffset + o];
                    for (int i = 0; i < layer.Inputs; i++)
                    {
                        z += parameters[layer.WeightIndex(o, i)] * activations[l][i];
                    }
                    output[o] = Activate(layer.Activation, z);
                }
                activations[l + 1] = output;
            }

            double[] logits = activations[layers.Count];
            double[] delta = new double[logits.Length];
            switch (model.Loss)
            {
                case Loss.MeanSquaredError:
                    for (int o = 0; o < logits.Length; o++)
                    {
                        double d = logits[o] - targets[s * logits.Length + o];
                        total += d * d / logits.Length;
                        delta[o] = 2 * d / (logits.Length * batch) * Derivative(layers[^1].Activation, logits[o]);
                    }
                    break;
                case Loss.BinaryCrossEntropy:
                {
                    double z = logits[0], y = targets[s];
                    double p = 1 / (1 + Math.Exp(-z));
                    total += -(y * Math.Log(p) + (1 - y) * Math.Log(1 - p));
                    delta[0] = (p - y) / batch;
                    break;
                }
                default:
                {
                    int label = (int)targets[s];
                    double max = logits.Max();
                    double sum = logits.Sum(z => Math.Exp(z - max));
                    total += Math.Log(sum) + max - logits[label];
                    for (int o = 0; o < logits.Length; o++)
                    {
                        delta[o] = (Math.Exp(logits[o] - max) / sum - (o == label ? 1 : 0)) / batch;
                    }
                    break;
                }
            }

            if (gradient is null)
            {
                continue;
            }
            for (int l = layers.Count - 1; l >= 0; l--)
            {
                LayerDescription layer = layers[l];
                double[] input = activations[l];
                var inputDelta = new double[layer.Inputs];
                for (int o = 0; o < layer.Outputs; o++)
                {
                    gradient[layer.BiasOffset + o] += delta[o];
                    for (int i = 0; i < layer.Inputs; i++)
                    {
                        gradient[layer.WeightIndex(o, i)] += delta[o] * input[i];
                        inputDelta[i] += delta[o] * parameters[layer.WeightIndex(o, i)];
                    }
                }
                if (l > 0)
                {
                    for (int i = 0; i < layer.Inputs; i++)
                    {
                        inputDelta[i] *= Derivative(layers[l - 1].Activation, input[i]);
                    }
                }
                delta = inputDelta;
            }
        }
        return total / batch;
    }

    /// <summary>Predictions: outputs, sigmoid probability or softmax probabilities.</summary>
    public static double[] Predict(ModelDescription model, double[] parameters, ReadOnlySpan<float> input)
    {
        double[] values = input.ToArray().Select(v => (double)v).ToArray();
        foreach (LayerDescription layer in model.Layers)
        {
            var output = new double[layer.Outputs];
            for (int o = 0; o < layer.Outputs; o++)
            {
                double z = parameters[layer.BiasOffset + o];
                for (int i = 0; i < layer.Inputs; i++)
                {
                    z += parameters[layer.WeightIndex(o, i)] * values[i];
                }
                output[o] = Activate(layer.Activation, z);
            }
            values = output;
        }
        return model.Loss switch
        {
            Loss.BinaryCrossEntropy => [1 / (1 + Math.Exp(-values[0]))],
            Loss.SoftmaxCrossEntropy => Softmax(values),
            _ => values,
        };
    }

    private static double[] Softmax(double[] z)
    {
        double max = z.Max();
        double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private static double Activate(Activation activation, double z) => activation switch
    {
        Activation.ReLU => Math.Max(z, 0),
        Activation.LeakyReLU => z > 0 ? z : 0.01 * z,
        Activation.Tanh => Math.Tanh(z),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
        _ => z,
    };

    /// <summary>f'(z) written through a = f(z), as the kernels do.</summary>
    private static double Derivative(Activation activation, double a) => activation switch
    {
        Activation.ReLU => a > 0 ? 1 : 0,
        Activation.LeakyReLU => a > 0 ? 1 : 0.01,
        Activation.Tanh => 1 - a * a,
        Activation.Sigmoid => a * (1 - a),
        _ => 1,
    };
}
