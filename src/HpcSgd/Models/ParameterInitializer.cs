using HpcSgd.Training;

namespace HpcSgd.Models;

/// <summary>
/// Seeded initial parameters: He-uniform weights, U(+-sqrt(6 / fanIn)), for ReLU and leaky ReLU layers;
/// Glorot-uniform, U(+-sqrt(6 / (fanIn + fanOut))), for all others; biases zero.
/// </summary>
public static class ParameterInitializer
{
    /// <summary>Fills <paramref name="parameters"/> for the layers of <paramref name="description"/> from <paramref name="seed"/>.</summary>
    public static void Initialize(ModelDescription description, Span<float> parameters, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (parameters.Length != description.ParameterCount)
        {
            throw new ArgumentException(
                $"parameters holds {parameters.Length} floats but {description.Name} has {description.ParameterCount}.", nameof(parameters));
        }
        var random = new SeededRandom(seed);
        foreach (LayerDescription layer in description.Layers)
        {
            double limit = layer.Activation is Activation.ReLU or Activation.LeakyReLU
                ? Math.Sqrt(6.0 / layer.Inputs)
                : Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            // Drawn output by output, input by input, and placed by the layout: every layout starts from the same weights.
            for (int o = 0; o < layer.Outputs; o++)
            {
                for (int i = 0; i < layer.Inputs; i++)
                {
                    parameters[layer.WeightIndex(o, i)] = (float)((2 * random.NextDouble() - 1) * limit);
                }
            }
            parameters.Slice(layer.BiasOffset, layer.Outputs).Clear();
        }
    }
}
