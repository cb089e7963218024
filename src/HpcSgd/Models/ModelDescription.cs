using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;

namespace HpcSgd.Models;

/// <summary>A declared model's shape, loss, batch sizes and parameter layout, as the generator saw them.</summary>
public sealed class ModelDescription
{
    /// <summary>Describes a model; generated code calls this once per model type.</summary>
    public ModelDescription(string name, Loss loss, LayerDescription[] layers, int[] declaredBatchSizes)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(declaredBatchSizes);
        if (layers.Length == 0)
        {
            throw new ArgumentException("A model needs at least one layer.", nameof(layers));
        }
        CheckLayout(layers);
        Name = name;
        Loss = loss;
        Layers = new ReadOnlyCollection<LayerDescription>((LayerDescription[])layers.Clone());
        DeclaredBatchSizes = new ReadOnlyCollection<int>((int[])declaredBatchSizes.Clone());
        InputCount = layers[0].Inputs;
        OutputCount = layers[^1].Outputs;
        ParameterCount = layers[^1].BiasOffset + layers[^1].Outputs;
        TargetWidth = loss == Loss.MeanSquaredError ? OutputCount : 1;
        ShapeSignature = BuildSignature(loss, layers);
        ShapeHash = Fnv1a64(ShapeSignature);
    }

    /// <summary>The model type's full name, e.g. <c>MyApp.SeedRegression</c>.</summary>
    public string Name { get; }

    /// <summary>The loss on the last layer.</summary>
    public Loss Loss { get; }

    /// <summary>The layers from input to output.</summary>
    public IReadOnlyList<LayerDescription> Layers { get; }

    /// <summary>Batch sizes with specialized kernels; others take the general path.</summary>
    public IReadOnlyList<int> DeclaredBatchSizes { get; }

    /// <summary>Values per input sample.</summary>
    public int InputCount { get; }

    /// <summary>Values per prediction.</summary>
    public int OutputCount { get; }

    /// <summary>Values per target: <see cref="OutputCount"/> for mean squared error, else 1 (a label).</summary>
    public int TargetWidth { get; }

    /// <summary>Total weights and biases.</summary>
    public int ParameterCount { get; }

    /// <summary>True when targets are class indices in [0, <see cref="OutputCount"/>).</summary>
    public bool HasClassLabels => Loss == Loss.SoftmaxCrossEntropy;

    /// <summary>A canonical text of the loss and layers; two models share it exactly when their parameters are interchangeable.</summary>
    public string ShapeSignature { get; }

    /// <summary>64-bit FNV-1a hash of <see cref="ShapeSignature"/>, stored in saved models.</summary>
    public ulong ShapeHash { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{ShapeSignature}]";

    /// <summary>Layers must chain and their parameters must tile the buffer in order: weights, then bias, layer after layer.</summary>
    private static void CheckLayout(LayerDescription[] layers)
    {
        int offset = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            LayerDescription layer = layers[l];
            if (layer.Inputs <= 0 || layer.Outputs <= 0)
            {
                throw new ArgumentException(FormattableString.Invariant($"layer {l} has {layer.Inputs} inputs and {layer.Outputs} outputs; both must be positive."), nameof(layers));
            }
            if (!Enum.IsDefined(layer.Layout))
            {
                throw new ArgumentException(FormattableString.Invariant($"layer {l} has the undefined weight layout {(int)layer.Layout}."), nameof(layers));
            }
            if (layer.Layout == WeightLayout.InputMajorPanels && layer.Outputs % LayerDescription.PanelWidth != 0)
            {
                throw new ArgumentException(FormattableString.Invariant($"layer {l} has {layer.Outputs} outputs in the layout {layer.Layout}, whose panels need a multiple of {LayerDescription.PanelWidth}."), nameof(layers));
            }
            if (l > 0 && layer.Inputs != layers[l - 1].Outputs)
            {
                throw new ArgumentException(FormattableString.Invariant($"layer {l} takes {layer.Inputs} inputs but layer {l - 1} produces {layers[l - 1].Outputs}."), nameof(layers));
            }
            if (layer.WeightOffset != offset || layer.BiasOffset != offset + layer.Inputs * layer.Outputs)
            {
                throw new ArgumentException(FormattableString.Invariant(
                    $"layer {l}'s weights start at {layer.WeightOffset}, not {offset}, or its bias at {layer.BiasOffset}, not {offset + layer.Inputs * layer.Outputs}."), nameof(layers));
            }
            offset = layer.BiasOffset + layer.Outputs;
        }
    }

    private static string BuildSignature(Loss loss, LayerDescription[] layers)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"loss={loss}");
        foreach (LayerDescription layer in layers)
        {
            text.Append(CultureInfo.InvariantCulture, $";dense({layer.Inputs},{layer.Outputs},{layer.Activation},{layer.Layout})");
        }
        return text.ToString();
    }

    private static ulong Fnv1a64(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }
}
