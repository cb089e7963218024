using HpcSgd.Generators.Emitting.Products;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Emits the forward pass for one batch shape: a composer that chains the layers through the workspace,
/// and one kernel per layer, y[b, o] = f(bias[o] + sum_i x[b, i] * w[o, i]) as a register-tiled matrix
/// product with bias and activation fused into its store (tanh and sigmoid: one vectorized pass after it).
/// </summary>
internal static class ForwardEmitter
{
    public static void Emit(IndentedWriter w, ModelPlan plan, ModelLayout layout, BatchPlan batchPlan)
    {
        ModelSpec model = plan.Model;
        var batch = BatchShape.Of(batchPlan);
        EmitComposer(w, model, layout, batch, fromBytes: false);
        if (plan.ByteRowsAhead > 0)
        {
            EmitComposer(w, model, layout, batch, fromBytes: true);
        }
        for (int l = 0; l < model.Layers.Count; l++)
        {
            EmitLayer(w, model, layout, l, batch, batchPlan.Layers[l].Forward, byteRowsAhead: 0);
            w.Line();
        }
        if (plan.ByteRowsAhead > 0)
        {
            EmitLayer(w, model, layout, 0, batch, batchPlan.Layers[0].Forward, plan.ByteRowsAhead);
            w.Line();
        }
    }

    /// <summary>The layers chained through the workspace; from byte rows, the first layer widens them into <c>inputs</c>.</summary>
    private static void EmitComposer(IndentedWriter w, ModelSpec model, ModelLayout layout, BatchShape batch, bool fromBytes)
    {
        int last = model.Layers.Count - 1;
        string source = fromBytes ? " the batch's byte rows widened into <paramref name=\"inputs\"/>," : "";
        w.Line($"/// <summary>Forward pass for {batch.Description}:{source} hidden outputs into the workspace, last-layer outputs into <paramref name=\"outputs\"/>.</summary>");
        w.Line(Names.FullyOptimized);
        string byteParameters = fromBytes ? "ref byte source, ref int rows, " : "";
        using (w.Open($"private static void {ComposerName(fromBytes)}_{batch.Suffix}{batch.TypeParameters}(ref float parameters, {byteParameters}ref float inputs, ref float workspace, ref float outputs{batch.Parameter}) {batch.Constraints}"))
        {
            for (int l = 0; l <= last; l++)
            {
                string input = l == 0 ? (fromBytes ? "ref source, ref rows, ref inputs" : "ref inputs") : $"ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.HiddenOffsets[l - 1])})";
                string output = l == last ? "ref outputs" : $"ref {Names.Unsafe}.Add(ref workspace, {batch.Times(layout.HiddenOffsets[l])})";
                w.Line($"{KernelName(model, l, batch, fromBytes && l == 0)}{batch.TypeParameters}({input}, ref {Names.Unsafe}.Add(ref parameters, {layout.WeightOffsets[l]}), ref {Names.Unsafe}.Add(ref parameters, {layout.BiasOffsets[l]}), {output}{batch.Argument});");
            }
        }
        w.Line();
    }

    /// <summary>The composer's name: <c>Forward</c>, or <c>ForwardBytes</c> for the one that reads byte rows.</summary>
    public static string ComposerName(bool fromBytes) => fromBytes ? "ForwardBytes" : "Forward";

    public static string KernelName(ModelSpec model, int layer, BatchShape batch, bool fromBytes = false) =>
        $"Dense{layer}_{ComposerName(fromBytes)}_{model.Layers[layer].Inputs}x{model.Layers[layer].Outputs}_{batch.Suffix}";

    private static void EmitLayer(IndentedWriter w, ModelSpec model, ModelLayout layout, int index, BatchShape batch, ProductPlan plan, int byteRowsAhead)
    {
        bool fromBytes = byteRowsAhead > 0;
        LayerSpec layer = model.Layers[index];
        int inputs = layer.Inputs;
        int outputs = layer.Outputs;
        string activation = layer.Activation == ActivationKind.Identity ? "z" : $"{layer.Activation}(z)";
        WeightLayoutKind weights = layout.WeightLayouts[index];
        string widened = fromBytes ? $"; x[b, .] widened from byte row rows[b] of source as it is read, and stored" : "";
        w.Line($"/// <summary>Layer {index}, {batch.Description}: y[b, o] = {activation} with z = bias[o] + sum over {inputs} inputs of x[b, i] * w[o, i], {outputs} outputs; weights {weights}{widened}.</summary>");
        Extent rows = Extent.Of(batch);
        string name = KernelName(model, index, batch, fromBytes);
        MatrixProduct product = weights.IsInputMajor()
            // Z[B x O] = X[B x I] W[I x O]: broadcast x[b, i], vectors along a row of weights.
            ? new MatrixProduct(plan, "y = x w", rows, outputs, Extent.Of(inputs), "y", outputs, "x", inputs, 1, "w", outputs)
                .WithBiasActivation("bias", MatrixProduct.Fuses(layer.Activation) ? layer.Activation : ActivationKind.Identity)
                .WithZeroSkippingKernel(name + "_SkippingZeros")
            // Z[B x O] = X[B x I] W^T with W[O x I]: both run along the inputs.
            : new MatrixProduct(plan, "y = x w^T", rows, outputs, Extent.Of(inputs), "y", outputs, "x", inputs, 1, "w", inputs)
                .WithBiasActivation("bias", layer.Activation);
        if (fromBytes)
        {
            product.ReadingByteRows("source", "rows", byteRowsAhead);
        }
        if (weights == WeightLayoutKind.InputMajorPanels)
        {
            product.WithBInPanels();
        }
        string byteParameters = fromBytes ? "ref byte source, ref int rows, " : "";
        KernelVariants.Write(w, name, $"{byteParameters}ref float x, ref float w, ref float bias, ref float y{batch.Parameter}", KernelVariants.Of(plan.Tiles), variant =>
        {
            ProductWriter.Write(w, product, variant);
            // The broadcast form's store fuses only the cheap activations; tanh and sigmoid take a vector pass.
            if (weights.IsInputMajor() && !MatrixProduct.Fuses(layer.Activation))
            {
                w.Line($"{Names.Activation(layer.Activation)}.ApplyInPlace(ref y, (int)({rows.Expression} * {outputs}));");
            }
        }, batch.TypeParameters, batch.Constraints);
        if (product.ZeroSkippingKernel is not null)
        {
            w.Line();
            BroadcastProductWriter.WriteZeroSkippingKernel(w, product);
        }
    }
}
