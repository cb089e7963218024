namespace HpcSgd.Models;

/// <summary>
/// How a dense layer's weight matrix is laid out in the parameter buffer. The generator picks, per layer,
/// the layout its matrix kernels read best, and keeps the weights in it permanently (no per-step transpose).
/// </summary>
public enum WeightLayout
{
    /// <summary>One row of Inputs weights per output: w[o, i] at o * Inputs + i (PyTorch's <c>nn.Linear</c> layout).</summary>
    OutputMajor,

    /// <summary>One row of Outputs weights per input: w[o, i] at i * Outputs + o; chosen when Outputs is a multiple of 16.</summary>
    InputMajor,

    /// <summary>
    /// Input-major in panels of <see cref="LayerDescription.PanelWidth"/> outputs: panel o / 16 holds every input's
    /// weights to its 16 outputs, input after input, so w[o, i] is at (o / 16) * 16 * Inputs + i * 16 + o mod 16. A register
    /// tile then reads its weights as one sequential stream (the form BLIS packs them into before every product); chosen
    /// for a first layer whose Outputs is a multiple of 16.
    /// </summary>
    InputMajorPanels,
}
