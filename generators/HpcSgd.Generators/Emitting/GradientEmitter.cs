using HpcSgd.Generators.Emitting.Products;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Emits the backward pass for one batch shape: from dL/dz of the last layer (left in the logits buffer by
/// the loss head) through every layer. Plain form: writes the gradient, or adds it to what the gradient buffer
/// holds when told to (a large batch's chunks summed in place). Fused form (declared batch sizes
/// whose weight-gradient products need no depth blocking): applies the SGD step straight from the registers
/// holding each finished gradient tile, so the gradient is never stored. Each layer propagates to the previous
/// one before its weights change; the first layer computes no gradient with respect to the model's inputs.
/// </summary>
internal static class GradientEmitter
{
    public static void Emit(IndentedWriter w, ModelPlan plan, ModelLayout layout, BatchPlan batchPlan, bool fusedUpdate)
    {
        ModelSpec model = plan.Model;
        var batch = BatchShape.Of(batchPlan);
        int last = model.Layers.Count - 1;
        string name = fusedUpdate ? "BackwardUpdate" : "Backward";
        w.Line(fusedUpdate
            ? $"/// <summary>Backward pass and SGD step for {batch.Description}: <paramref name=\"outputDelta\"/> holds dL/dz of the last layer; updates <paramref name=\"parameters\"/> (and <paramref name=\"velocity\"/>) by <paramref name=\"rule\"/>.</summary>"
            : $"/// <summary>Backward pass for {batch.Description}: <paramref name=\"outputDelta\"/> holds dL/dz of the last layer; writes dL/dparameters into <paramref name=\"gradient\"/>, or adds them to it when <paramref name=\"addToGradient\"/> is set.</summary>");
        w.Line(Names.FullyOptimized);
        string target = fusedUpdate ? $"ref float velocity, in {Names.UpdateRule} rule" : "ref float gradient, bool addToGradient";
        using (w.Open($"private static void {name}_{batch.Suffix}{batch.TypeParameters}(ref float parameters, ref float inputs, ref float workspace, ref float outputDelta, {target}{batch.Parameter}) {batch.Constraints}"))
        {
            string buffer = fusedUpdate ? "velocity" : "gradient";
            for (int l = last; l >= 0; l--)
            {
                string input = l == 0 ? "ref inputs" : $"ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.HiddenOffsets[l - 1])})";
                string delta = l == last ? "ref outputDelta" : $"ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.DeltaOffsets[l])})";
                string inputDelta = l == 0 ? "" : $", ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.DeltaOffsets[l - 1])})";
                string biasTargets = fusedUpdate ? $", ref {Names.Unsafe}.Add(ref parameters, {layout.BiasOffsets[l]})" : "";
                string packed = GradientPlan(batchPlan.Layers[l], fusedUpdate).PacksA ? $", ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.PackedOffset)})" : "";
                w.Line($"{KernelName(model, l, batch, fusedUpdate)}{batch.TypeParameters}({input}, ref {Names.Unsafe}.Add(ref parameters, {layout.WeightOffsets[l]}), {delta}, " +
                       $"ref {Names.Unsafe}.Add(ref {buffer}, {layout.WeightOffsets[l]}){biasTargets}, ref {Names.Unsafe}.Add(ref {buffer}, {layout.BiasOffsets[l]}){inputDelta}{(fusedUpdate ? ", in rule" : ", addToGradient")}{packed}{batch.Argument});");
            }
        }
        w.Line();

        for (int l = last; l >= 0; l--)
        {
            EmitLayer(w, model, layout, l, batch, batchPlan.Layers[l], fusedUpdate);
            w.Line();
        }
    }

    private static ProductPlan GradientPlan(LayerPlan plan, bool fusedUpdate) =>
        fusedUpdate ? plan.FusedWeightUpdate ?? throw new System.InvalidOperationException("The plan has no fused update for this batch.") : plan.WeightGradient;

    private static string KernelName(ModelSpec model, int layer, BatchShape batch, bool fusedUpdate) =>
        $"Dense{layer}_{(fusedUpdate ? "BackwardUpdate" : "Backward")}_{model.Layers[layer].Inputs}x{model.Layers[layer].Outputs}_{batch.Suffix}";

    /// <summary>dW[I x O] = X^T delta (input-major) or dW[O x I] = delta^T X (output-major), written to <paramref name="c"/>.</summary>
    private static MatrixProduct WeightGradient(ProductPlan plan, LayerSpec layer, WeightLayoutKind weights, Extent samples, string c)
    {
        if (!weights.IsInputMajor())
        {
            // Broadcast delta[b, o] down a column of deltas, vectors along a row of X.
            return new MatrixProduct(plan, "dW = delta^T x", Extent.Of(layer.Outputs), layer.Inputs, samples, c, layer.Inputs, "delta", 1, layer.Outputs, "x", layer.Inputs);
        }
        // Broadcast x[b, i] down a column of X, vectors along a row of deltas; dW laid out as the weights are.
        var product = new MatrixProduct(plan, "dW = x^T delta", Extent.Of(layer.Inputs), layer.Outputs, samples, c, layer.Outputs, "x", 1, layer.Inputs, "delta", layer.Outputs);
        return weights == WeightLayoutKind.InputMajorPanels ? product.WithCInPanels() : product;
    }

    private static void EmitLayer(IndentedWriter w, ModelSpec model, ModelLayout layout, int index, BatchShape batch, LayerPlan plan, bool fusedUpdate)
    {
        LayerSpec layer = model.Layers[index];
        int inputs = layer.Inputs;
        int outputs = layer.Outputs;
        bool propagates = index > 0;
        ActivationKind inputActivation = propagates ? model.Layers[index - 1].Activation : ActivationKind.Identity;
        WeightLayoutKind weights = layout.WeightLayouts[index];

        w.Line($"/// <summary>");
        w.Line($"/// Layer {index}, {batch.Description}, weights {weights}: dW[o, i] = sum_b delta[b, o] * x[b, i] and dbias[o] = sum_b delta[b, o]" +
               (propagates ? "," : (fusedUpdate ? ", each applied as an SGD step as soon as it is complete." : ".")));
        if (propagates)
        {
            string derivative = inputActivation == ActivationKind.Identity ? "" : $"{inputActivation}'(x[b, i]) * ";
            w.Line($"/// and the previous layer's dL/dz: inputDelta[b, i] = {derivative}sum_o delta[b, o] * w[o, i]" + (fusedUpdate ? ", computed before the SGD step changes w." : "."));
        }
        w.Line($"/// </summary>");
        string inputDeltaParameter = propagates ? ", ref float inputDelta" : "";
        string targets = fusedUpdate
            ? $"ref float velocityWeights, ref float bias, ref float velocityBias{inputDeltaParameter}, in {Names.UpdateRule} rule"
            : $"ref float gradWeights, ref float gradBias{inputDeltaParameter}, bool addToGradient";
        string name = KernelName(model, index, batch, fusedUpdate);
        Extent samples = Extent.Of(batch);
        MatrixProduct? inputGradient = plan.InputGradient is not ProductPlan inputGradientPlan ? null
            : weights == WeightLayoutKind.InputMajorPanels ? throw new System.InvalidOperationException("Weights in panels have no input gradient product.")
            : weights == WeightLayoutKind.InputMajor
                // inputDelta[B x I] = delta W^T with W[I x O]: both run along the outputs.
                ? new MatrixProduct(inputGradientPlan, "inputDelta = delta w^T", samples, inputs, Extent.Of(outputs), "inputDelta", inputs, "delta", outputs, 1, "w", outputs)
                    .WithBackPropagation("x", inputActivation)
                // inputDelta[B x I] = delta W with W[O x I]: broadcast delta[b, o], vectors along a row of weights.
                : new MatrixProduct(inputGradientPlan, "inputDelta = delta w", samples, inputs, Extent.Of(outputs), "inputDelta", inputs, "delta", outputs, 1, "w", inputs)
                    .WithBackPropagation("x", inputActivation);
        MatrixProduct? weightStep = !fusedUpdate ? null
            : WeightGradient(GradientPlan(plan, fusedUpdate), layer, weights, samples, "w")
                .WithUpdate("velocityWeights")
                .WithZeroSkippingKernel(name + "_SkippingZeros")
                .PackingAInto("packed");
        MatrixProduct? weightGradient = fusedUpdate ? null
            : WeightGradient(plan.WeightGradient, layer, weights, samples, "gradWeights").AddingToCWhen("addToGradient").PackingAInto("packed");
        string packedParameter = GradientPlan(plan, fusedUpdate).PacksA ? ", ref float packed" : "";
        // The input gradient is a method of its own: with both products in one, the JIT's inlining budget ran out and
        // left calls to the vector operations in the second product (benchmarks/README.md).
        string inputGradientName = name + "_InputDelta";
        var variants = KernelVariants.Of((weightStep ?? weightGradient)!.Plan.Tiles);
        KernelVariants.Write(w, name, $"ref float x, ref float w, ref float delta, {targets}{packedParameter}{batch.Parameter}", variants, variant =>
        {
            if (inputGradient is not null)
            {
                w.Line($"{inputGradientName}{batch.TypeParameters}(ref x, ref w, ref delta, ref inputDelta{batch.Argument});");
            }
            if (weightStep is not null)
            {
                w.Line($"{Names.UpdateMath}.BiasStep{Names.WidthTypeParameters}(ref delta, {samples.Expression.Replace("(nuint)", "")}, {outputs}, ref bias, ref velocityBias, in rule);");
                ProductWriter.Write(w, weightStep, variant);
            }
            else
            {
                w.Line($"{Names.DenseMath}.ColumnSums{Names.WidthTypeParameters}(ref delta, (int){samples.Expression}, {outputs}, ref gradBias, addToGradient);");
                ProductWriter.Write(w, weightGradient!, variant);
            }
        }, batch.TypeParameters, batch.Constraints);
        if (inputGradient is not null)
        {
            w.Line();
            w.Line($"/// <summary>{name}'s first part: the previous layer's dL/dz, from the weights before any update.</summary>");
            KernelVariants.Write(w, inputGradientName, $"ref float x, ref float w, ref float delta, ref float inputDelta{batch.Parameter}",
                KernelVariants.Of(inputGradient.Plan.Tiles), variant => ProductWriter.Write(w, inputGradient, variant), batch.TypeParameters, batch.Constraints);
        }
        if (weightStep?.ZeroSkippingKernel is not null)
        {
            w.Line();
            BroadcastProductWriter.WriteZeroSkippingKernel(w, weightStep);
        }
    }
}
