using HpcSgd.Generators.Emitting.Products;
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
        w.Line(Names.FullyOptimized);
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
            EmitLayer(w, model, layout, l, batch);
            w.Line();
        }
    }

    private static string KernelName(ModelSpec model, int layer, BatchShape batch) =>
        $"Dense{layer}_Backward_{model.Layers[layer].Inputs}x{model.Layers[layer].Outputs}_{batch.Suffix}";

    private static void EmitLayer(IndentedWriter w, ModelSpec model, ModelLayout layout, int index, BatchShape batch)
    {
        LayerSpec layer = model.Layers[index];
        int inputs = layer.Inputs;
        int outputs = layer.Outputs;
        bool propagates = index > 0;
        ActivationKind inputActivation = propagates ? model.Layers[index - 1].Activation : ActivationKind.Identity;
        WeightLayoutKind weights = layout.WeightLayouts[index];

        w.Line($"/// <summary>");
        w.Line($"/// Layer {index}, {batch.Description}, weights {weights}: dW[o, i] = sum_b delta[b, o] * x[b, i] and dbias[o] = sum_b delta[b, o]" +
               (propagates ? "," : "."));
        if (propagates)
        {
            string derivative = inputActivation == ActivationKind.Identity ? "" : $"{inputActivation}'(x[b, i]) * ";
            w.Line($"/// and the previous layer's dL/dz: inputDelta[b, i] = {derivative}sum_o delta[b, o] * w[o, i].");
        }
        w.Line($"/// </summary>");
        string inputDeltaParameter = propagates ? ", ref float inputDelta" : "";
        w.Line(Names.FullyOptimized);
        using (w.Open($"private static void {KernelName(model, index, batch)}{Names.WidthTypeParameters}(ref float x, ref float w, ref float delta, ref float gradWeights, ref float gradBias{inputDeltaParameter}{batch.Parameter}) {Names.WidthConstraints}"))
        {
            Extent samples = Extent.Of(batch);
            w.Line($"{Names.DenseMath}.ColumnSums{Names.WidthTypeParameters}(ref delta, (int){samples.Expression}, {outputs}, ref gradBias);");
            if (weights == WeightLayoutKind.InputMajor)
            {
                // dW[I x O] = X^T delta: broadcast x[b, i] down a column of X, vectors along a row of deltas.
                BroadcastProductWriter.Write(w, new MatrixProduct("dW = x^T delta", Extent.Of(inputs), outputs, samples, "gradWeights", outputs, "x", 1, inputs, "delta", outputs));
                if (propagates)
                {
                    // inputDelta[B x I] = delta W^T with W[I x O]: both run along the outputs.
                    DotProductWriter.Write(w, new MatrixProduct("inputDelta = delta w^T", samples, inputs, Extent.Of(outputs), "inputDelta", inputs, "delta", outputs, 1, "w", outputs)
                        .WithBackPropagation("x", inputActivation));
                }
            }
            else
            {
                // dW[O x I] = delta^T X: broadcast delta[b, o] down a column of deltas, vectors along a row of X.
                BroadcastProductWriter.Write(w, new MatrixProduct("dW = delta^T x", Extent.Of(outputs), inputs, samples, "gradWeights", inputs, "delta", 1, outputs, "x", inputs));
                if (propagates)
                {
                    // inputDelta[B x I] = delta W with W[O x I]: broadcast delta[b, o], vectors along a row of weights.
                    BroadcastProductWriter.Write(w, new MatrixProduct("inputDelta = delta w", samples, inputs, Extent.Of(outputs), "inputDelta", inputs, "delta", outputs, 1, "w", inputs)
                        .WithBackPropagation("x", inputActivation));
                }
            }
        }
    }
}
