using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Offsets derived from a <see cref="ModelPlan"/>. Parameters: per layer, weights (outputs x inputs, in the
/// layer's <see cref="WeightLayouts"/> order) then bias. Workspace, per sample and in floats: hidden-layer outputs, then the
/// last layer's outputs (logits, overwritten by dL/dz in the backward pass), then one dL/dz buffer per
/// hidden layer, then the copy a weight gradient packs A into (as wide as the widest such A's rows; the layers' backward
/// passes run one after another and share it).
/// </summary>
internal sealed class ModelLayout
{
    public ModelLayout(ModelPlan plan)
    {
        ModelSpec model = plan.Model;
        int count = model.Layers.Count;
        WeightOffsets = new int[count];
        BiasOffsets = new int[count];
        HiddenOffsets = new int[count];
        DeltaOffsets = new int[count];
        WeightLayouts = new WeightLayoutKind[count];
        int parameters = 0;
        int hidden = 0;
        for (int l = 0; l < count; l++)
        {
            LayerSpec layer = model.Layers[l];
            WeightOffsets[l] = parameters;
            WeightLayouts[l] = plan.Layouts[l].Weights;
            BiasOffsets[l] = parameters + layer.Inputs * layer.Outputs;
            parameters = BiasOffsets[l] + layer.Outputs;
            if (l < count - 1)
            {
                HiddenOffsets[l] = hidden;
                hidden += layer.Outputs;
            }
        }
        ParameterCount = parameters;
        HiddenWidth = hidden;
        LogitsOffset = hidden;
        int delta = hidden + model.OutputCount;
        for (int l = 0; l < count - 1; l++)
        {
            DeltaOffsets[l] = delta;
            delta += model.Layers[l].Outputs;
        }
        PackedOffset = delta;
        int packed = 0;
        foreach (BatchPlan batch in plan.Batches)
        {
            for (int l = 0; l < count; l++)
            {
                LayerPlan layer = batch.Layers[l];
                if (layer.WeightGradient.PacksA || layer.FusedWeightUpdate?.PacksA == true)
                {
                    // dW's rows: x^T has one per input (input-major), delta^T one per output.
                    packed = System.Math.Max(packed, WeightLayouts[l].IsInputMajor() ? model.Layers[l].Inputs : model.Layers[l].Outputs);
                }
            }
        }
        WorkspacePerSample = delta + packed;
    }

    public int[] WeightOffsets { get; }

    public WeightLayoutKind[] WeightLayouts { get; }

    public int[] BiasOffsets { get; }

    /// <summary>Per-sample offset of layer l's outputs (hidden layers only).</summary>
    public int[] HiddenOffsets { get; }

    /// <summary>Per-sample offset of dL/dz for layer l's outputs (hidden layers only).</summary>
    public int[] DeltaOffsets { get; }

    /// <summary>Per-sample offset of the packed copy of a weight gradient's A (see <see cref="ModelLayout"/>).</summary>
    public int PackedOffset { get; }

    public int ParameterCount { get; }

    /// <summary>Per-sample floats of all hidden-layer outputs.</summary>
    public int HiddenWidth { get; }

    public int LogitsOffset { get; }

    public int WorkspacePerSample { get; }
}
