using System.Linq;
using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting;

/// <summary>Emits the model's shape constants, parameter layout, description and workspace size.</summary>
internal static class LayoutEmitter
{
    public static void Emit(IndentedWriter w, ModelSpec model, ModelLayout layout)
    {
        w.Line("/// <summary>Values per input sample.</summary>");
        w.Line($"public const int InputCount = {model.InputCount};");
        w.Line("/// <summary>Values per prediction.</summary>");
        w.Line($"public const int OutputCount = {model.OutputCount};");
        w.Line("/// <summary>Weights and biases of all layers, in one contiguous buffer.</summary>");
        w.Line($"public const int ParameterCount = {layout.ParameterCount};");
        w.Line();
        w.Line("// Parameter layout, per layer: weights (outputs x inputs, one row per output when OutputMajor, per input when InputMajor, per input in panels of 16 outputs when InputMajorPanels), then bias.");
        for (int l = 0; l < model.Layers.Count; l++)
        {
            LayerSpec layer = model.Layers[l];
            w.Line($"//   Dense{l} ({layer.Inputs} -> {layer.Outputs}, {layer.Activation}): {layout.WeightLayouts[l]} weights [{layout.WeightOffsets[l]}, {layout.BiasOffsets[l]}), bias [{layout.BiasOffsets[l]}, {layout.BiasOffsets[l] + layer.Outputs})");
        }
        w.Line("// Workspace, per sample: hidden-layer outputs, last-layer outputs (then dL/dz), dL/dz of each hidden layer"
            + (layout.WorkspacePerSample > layout.PackedOffset ? $", from {layout.PackedOffset} a weight gradient's packed copy of A." : "."));
        w.Line($"private const int WorkspacePerSample = {layout.WorkspacePerSample};");
        w.Line($"private const int HiddenPerSample = {layout.HiddenWidth};");
        w.Line();

        string layers = string.Join(", ", Enumerable.Range(0, model.Layers.Count).Select(l =>
            $"new {Names.Models}LayerDescription({model.Layers[l].Inputs}, {model.Layers[l].Outputs}, global::HpcSgd.Activation.{model.Layers[l].Activation}, {layout.WeightOffsets[l]}, {layout.BiasOffsets[l]}, {Names.Models}WeightLayout.{layout.WeightLayouts[l]})"));
        string batchSizes = string.Join(", ", model.BatchSizes);
        w.Line("/// <inheritdoc/>");
        w.Line($"public static {Names.Models}ModelDescription Description {{ {Names.FullyOptimized} get; }} = new {Names.Models}ModelDescription(");
        w.Line($"    \"{model.FullName}\",");
        w.Line($"    global::HpcSgd.Loss.{model.Loss},");
        w.Line($"    new {Names.Models}LayerDescription[] {{ {layers} }},");
        w.Line($"    new int[] {{ {batchSizes} }});");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static int WorkspaceLength(int batchSize) => checked(batchSize * WorkspacePerSample);");
        w.Line();
    }
}
