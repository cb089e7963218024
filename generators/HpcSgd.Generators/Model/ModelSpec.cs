namespace HpcSgd.Generators.Model;

/// <summary>Mirror of HpcSgd.Loss: the generator cannot reference the runtime assembly.</summary>
internal enum LossKind
{
    MeanSquaredError = 0,
    BinaryCrossEntropy = 1,
    SoftmaxCrossEntropy = 2,
}

/// <summary>Mirror of HpcSgd.Activation.</summary>
internal enum ActivationKind
{
    Identity = 0,
    ReLU = 1,
    LeakyReLU = 2,
    Tanh = 3,
    Sigmoid = 4,
}

/// <summary>Mirror of HpcSgd.Models.WeightLayout (the generator does not reference the runtime).</summary>
internal enum WeightLayoutKind
{
    OutputMajor = 0,
    InputMajor = 1,
    InputMajorPanels = 2,
}

internal static class WeightLayoutKindExtensions
{
    /// <summary>Outputs per panel of <see cref="WeightLayoutKind.InputMajorPanels"/> (HpcSgd.Models.LayerDescription.PanelWidth).</summary>
    public const int PanelWidth = 16;

    /// <summary>One row of weights per input, whole (<see cref="WeightLayoutKind.InputMajor"/>) or cut into panels: the products run as for input-major weights.</summary>
    public static bool IsInputMajor(this WeightLayoutKind layout) => layout != WeightLayoutKind.OutputMajor;
}

/// <summary>One declared dense layer.</summary>
internal sealed record LayerSpec(int Inputs, int Outputs, ActivationKind Activation);

/// <summary>A type that encloses the model type, re-declared as partial around the generated code.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>
/// Everything the emitters need about one declared model: plain values only, no symbols, syntax or
/// compilations, so equal declarations give equal models and the pipeline caches.
/// </summary>
internal sealed record ModelSpec(
    string? Namespace,
    string TypeName,
    string TypeKeyword,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    LossKind Loss,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<int> BatchSizes)
{
    /// <summary>The type's name as C# writes it from the global namespace, without <c>global::</c>.</summary>
    public string FullName
    {
        get
        {
            string prefix = Namespace is null ? "" : Namespace + ".";
            foreach (ContainingTypeSpec containing in ContainingTypes)
            {
                prefix += containing.Name + ".";
            }
            return prefix + TypeName;
        }
    }

    public int InputCount => Layers[0].Inputs;

    public int OutputCount => Layers[Layers.Count - 1].Outputs;
}
