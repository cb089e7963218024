namespace HpcSgd.Models;

/// <summary>
/// One dense layer and where its parameters live in the model's buffer: Outputs x Inputs weights at
/// [<see cref="WeightOffset"/>, + Outputs * Inputs) in <see cref="Layout"/> order (see <see cref="WeightIndex"/>),
/// then the bias at [<see cref="BiasOffset"/>, + <see cref="Outputs"/>).
/// </summary>
public readonly record struct LayerDescription(int Inputs, int Outputs, Activation Activation, int WeightOffset, int BiasOffset, WeightLayout Layout = WeightLayout.OutputMajor)
{
    /// <summary>Weights plus biases.</summary>
    public int ParameterCount => Inputs * Outputs + Outputs;

    /// <summary>Outputs per panel of <see cref="WeightLayout.InputMajorPanels"/>.</summary>
    public const int PanelWidth = 16;

    /// <summary>The index in the parameter buffer of the weight from input <paramref name="input"/> to output <paramref name="output"/>.</summary>
    public int WeightIndex(int output, int input) => Layout switch
    {
        WeightLayout.OutputMajor => WeightOffset + output * Inputs + input,
        WeightLayout.InputMajor => WeightOffset + input * Outputs + output,
        _ => WeightOffset + output / PanelWidth * PanelWidth * Inputs + input * PanelWidth + output % PanelWidth,
    };
}
