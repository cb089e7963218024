using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Emits the forward pass for one batch shape: a composer that chains the layers through the workspace,
/// and one kernel per layer, y[b, o] = f(bias[o] + sum_i x[b, i] * w[o, i]), vectorized along the inputs.
/// </summary>
internal static class ForwardEmitter
{
    public static void Emit(IndentedWriter w, ModelSpec model, ModelLayout layout, BatchShape batch)
    {
        int last = model.Layers.Count - 1;
        w.Line($"/// <summary>Forward pass for {batch.Description}: hidden outputs into the workspace, last-layer outputs into <paramref name=\"outputs\"/>.</summary>");
        using (w.Open($"private static void Forward_{batch.Suffix}{Names.WidthTypeParameters}(ref float parameters, ref float inputs, ref float workspace, ref float outputs{batch.Parameter}) {Names.WidthConstraints}"))
        {
            for (int l = 0; l <= last; l++)
            {
                string input = l == 0 ? "ref inputs" : $"ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.HiddenOffsets[l - 1])})";
                string output = l == last ? "ref outputs" : $"ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.HiddenOffsets[l])})";
                w.Line($"{KernelName(model, l, batch)}{Names.WidthTypeParameters}({input}, ref {Names.Unsafe}.Add(ref parameters, {layout.WeightOffsets[l]}), ref {Names.Unsafe}.Add(ref parameters, {layout.BiasOffsets[l]}), {output}{batch.Argument});");
            }
        }
        w.Line();

        for (int l = 0; l <= last; l++)
        {
            EmitLayer(w, model, l, batch);
            w.Line();
        }
    }

    public static string KernelName(ModelSpec model, int layer, BatchShape batch) =>
        $"Dense{layer}_Forward_{model.Layers[layer].Inputs}x{model.Layers[layer].Outputs}_{batch.Suffix}";

    private static void EmitLayer(IndentedWriter w, ModelSpec model, int index, BatchShape batch)
    {
        LayerSpec layer = model.Layers[index];
        string activation = layer.Activation == ActivationKind.Identity ? "z" : $"{layer.Activation}(z)";
        w.Line($"/// <summary>Layer {index}, {batch.Description}: y[b, o] = {activation} with z = bias[o] + sum over {layer.Inputs} inputs of x[b, i] * w[o, i], {layer.Outputs} outputs.</summary>");
        using (w.Open($"private static void {KernelName(model, index, batch)}{Names.WidthTypeParameters}(ref float x, ref float w, ref float bias, ref float y{batch.Parameter}) {Names.WidthConstraints}"))
        using (w.Open($"for (nuint b = 0; b < {batch.LoopBound}; b++)"))
        {
            w.Line($"ref float xRow = ref {Names.Unsafe}.Add(ref x, b * {layer.Inputs});");
            w.Line($"ref float yRow = ref {Names.Unsafe}.Add(ref y, b * {layer.Outputs});");
            using (w.Open($"for (nuint o = 0; o < {layer.Outputs}; o++)"))
            {
                w.Line($"float z = {Names.Unsafe}.Add(ref bias, o) + {Names.DenseMath}.Dot{Names.WidthTypeParameters}(ref xRow, ref {Names.Unsafe}.Add(ref w, o * {layer.Inputs}), {layer.Inputs});");
                w.Line(layer.Activation == ActivationKind.Identity
                    ? $"{Names.Unsafe}.Add(ref yRow, o) = z;"
                    : $"{Names.Unsafe}.Add(ref yRow, o) = {Names.Activation(layer.Activation)}.Apply(z);");
            }
        }
    }
}
