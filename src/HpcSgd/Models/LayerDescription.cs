namespace HpcSgd.Models;

/// <summary>
/// One dense layer and where its parameters live in the model's buffer: weights at
/// [<see cref="WeightOffset"/>, + Outputs * Inputs) as one row of <see cref="Inputs"/> per output,
/// then the bias at [<see cref="BiasOffset"/>, + <see cref="Outputs"/>).
/// </summary>
public readonly record struct LayerDescription(int Inputs, int Outputs, Activation Activation, int WeightOffset, int BiasOffset)
{
    /// <summary>Weights plus biases.</summary>
    public int ParameterCount => Inputs * Outputs + Outputs;
}
