using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Emits the per-example gradient norms: for a dense layer the gradient of one sample's loss is its dL/dz times its
/// input, so its squared norm is |dL/dz|^2 (|x|^2 + 1) (the 1 for the bias), summed over layers. The layered path
/// reads dL/dz and every layer's input from the workspace the last gradient left (its deltas are of the batch-mean
/// loss, hence the B^2); linear regression's fused path keeps no deltas, so its residuals are recomputed.
/// </summary>
internal static class GradientNormsEmitter
{
    public static void Emit(IndentedWriter w, ModelSpec model, ModelLayout layout, bool fusedRegression)
    {
        string rs = Names.ReadOnlySpan;
        w.Line("/// <inheritdoc/>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"public static void PerExampleGradientNorms({rs} parameters, {rs} inputs, {rs} targets, {rs} workspace, {rs} inputSquaredNorms, {Names.Span} norms, int batchSize)"))
        {
            DispatchEmitter.CheckCommon(w);
            DispatchEmitter.CheckTargets(w, model);
            w.Line($"{Names.KernelArguments}.CheckLength(norms.Length, batchSize, nameof(norms), \"batch size\");");
            w.Line($"{Names.KernelArguments}.CheckOptionalLength(inputSquaredNorms.Length, batchSize, nameof(inputSquaredNorms), \"batch size\");");
            DispatchEmitter.Refs(w, "parameters", "inputs", "targets", "workspace", "inputSquaredNorms", "norms");
            if (fusedRegression)
            {
                w.Line($"{Names.DenseMath}.RegressionGradientNorms(ref {Names.Unsafe}.Add(ref parameters0, {layout.WeightOffsets[0]}), {Names.Unsafe}.Add(ref parameters0, {layout.BiasOffsets[0]}), ref inputs0, ref targets0, InputCount, batchSize, ref inputSquaredNorms0, !inputSquaredNorms.IsEmpty, ref norms0);");
            }
            else
            {
                w.Line("norms.Clear();");
                w.Line("float scale = (float)batchSize * batchSize;");
                int last = model.Layers.Count - 1;
                for (int l = 0; l <= last; l++)
                {
                    LayerSpec layer = model.Layers[l];
                    string delta = $"ref {Names.Unsafe}.Add(ref workspace0, batchSize * {(l == last ? layout.LogitsOffset : layout.DeltaOffsets[l])})";
                    string input = l == 0 ? "ref inputs0" : $"ref {Names.Unsafe}.Add(ref workspace0, batchSize * {layout.HiddenOffsets[l - 1]})";
                    // The model's inputs are fixed data: their squared norms may come precomputed (Dataset.InputSquaredNorms).
                    string known = l == 0 ? "ref inputSquaredNorms0, !inputSquaredNorms.IsEmpty" : "ref inputSquaredNorms0, false";
                    w.Line($"{Names.DenseMath}.AddLayerGradientNorms({delta}, {layer.Outputs}, {input}, {layer.Inputs}, batchSize, scale, {known}, ref norms0);");
                }
            }
        }
        w.Line();
    }
}
