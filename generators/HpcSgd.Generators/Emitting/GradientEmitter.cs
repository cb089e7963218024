using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Emits the backward pass for one batch shape: from dL/dz of the last layer (left in the logits buffer by
/// the loss head) through every layer, writing the mean gradient. The first layer computes no gradient
/// with respect to the model's inputs.
/// </summary>
internal static class GradientEmitter
{
    public static void Emit(IndentedWriter w, ModelSpec model, ModelLayout layout, BatchShape batch)
    {
        int last = model.Layers.Count - 1;
        w.Line($"/// <summary>Backward pass for {batch.Description}: <paramref name=\"outputDelta\"/> holds dL/dz of the last layer; writes dL/dparameters into <paramref name=\"gradient\"/>.</summary>");
        using (w.Open($"private static void Backward_{batch.Suffix}{Names.WidthTypeParameters}(ref float parameters, ref float inputs, ref float workspace, ref float outputDelta, ref float gradient{batch.Parameter}) {Names.WidthConstraints}"))
        {
            for (int l = last; l >= 0; l--)
            {
                string input = l == 0 ? "ref inputs" : $"ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.HiddenOffsets[l - 1])})";
                string delta = l == last ? "ref outputDelta" : $"ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.DeltaOffsets[l])})";
                string inputDelta = l == 0 ? "" : $", ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.DeltaOffsets[l - 1])})";
                w.Line($"{KernelName(model, l, batch)}{Names.WidthTypeParameters}({input}, ref {Names.Unsafe}.Add(ref parameters, {layout.WeightOffsets[l]}), {delta}, " +
                       $"ref {Names.Unsafe}.Add(ref gradient, {layout.WeightOffsets[l]}), ref {Names.Unsafe}.Add(ref gradient, {layout.BiasOffsets[l]}){inputDelta}{batch.Argument});");
            }
        }
        w.Line();

        for (int l = last; l >= 0; l--)
        {
            EmitLayer(w, model, l, batch);
            w.Line();
        }
    }

    private static string KernelName(ModelSpec model, int layer, BatchShape batch) =>
        $"Dense{layer}_Backward_{model.Layers[layer].Inputs}x{model.Layers[layer].Outputs}_{batch.Suffix}";

    private static void EmitLayer(IndentedWriter w, ModelSpec model, int index, BatchShape batch)
    {
        LayerSpec layer = model.Layers[index];
        int inputs = layer.Inputs;
        int outputs = layer.Outputs;
        bool propagates = index > 0;
        ActivationKind inputActivation = propagates ? model.Layers[index - 1].Activation : ActivationKind.Identity;

        w.Line($"/// <summary>");
        w.Line($"/// Layer {index}, {batch.Description}: dW[o, i] = sum_b delta[b, o] * x[b, i] and dbias[o] = sum_b delta[b, o]" +
               (propagates ? "," : "."));
        if (propagates)
        {
            string derivative = inputActivation == ActivationKind.Identity ? "" : $"{inputActivation}'(x[b, i]) * ";
            w.Line($"/// and the previous layer's dL/dz: inputDelta[b, i] = {derivative}sum_o delta[b, o] * w[o, i].");
        }
        w.Line($"/// </summary>");
        string inputDeltaParameter = propagates ? ", ref float inputDelta" : "";
        using (w.Open($"private static void {KernelName(model, index, batch)}{Names.WidthTypeParameters}(ref float x, ref float w, ref float delta, ref float gradWeights, ref float gradBias{inputDeltaParameter}{batch.Parameter}) {Names.WidthConstraints}"))
        {
            w.Line($"{Names.DenseMath}.Clear(ref gradWeights, {inputs * outputs});");
            w.Line($"{Names.DenseMath}.Clear(ref gradBias, {outputs});");
            using (w.Open($"for (nuint b = 0; b < {batch.LoopBound}; b++)"))
            {
                w.Line($"ref float xRow = ref {Names.Unsafe}.Add(ref x, b * {inputs});");
                w.Line($"ref float deltaRow = ref {Names.Unsafe}.Add(ref delta, b * {outputs});");
                if (propagates)
                {
                    w.Line($"ref float inputDeltaRow = ref {Names.Unsafe}.Add(ref inputDelta, b * {inputs});");
                    w.Line($"{Names.DenseMath}.Clear(ref inputDeltaRow, {inputs});");
                }
                using (w.Open($"for (nuint o = 0; o < {outputs}; o++)"))
                {
                    w.Line($"float d = {Names.Unsafe}.Add(ref deltaRow, o);");
                    w.Line($"{Names.Unsafe}.Add(ref gradBias, o) += d;");
                    w.Line($"{Names.DenseMath}.AddScaled{Names.WidthTypeParameters}(ref {Names.Unsafe}.Add(ref gradWeights, o * {inputs}), ref xRow, d, {inputs});");
                    if (propagates)
                    {
                        w.Line($"{Names.DenseMath}.AddScaled{Names.WidthTypeParameters}(ref inputDeltaRow, ref {Names.Unsafe}.Add(ref w, o * {inputs}), d, {inputs});");
                    }
                }
                if (propagates && inputActivation != ActivationKind.Identity)
                {
                    using (w.Open($"for (nuint i = 0; i < {inputs}; i++)"))
                    {
                        w.Line($"{Names.Unsafe}.Add(ref inputDeltaRow, i) *= {Names.Activation(inputActivation)}.Derivative({Names.Unsafe}.Add(ref xRow, i));");
                    }
                }
            }
        }
    }
}
