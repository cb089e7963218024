using System.Linq;
using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Emits the fused single-layer path of linear regression (one Dense layer, one output, identity, mean squared
/// error): residual, loss and gradient in one pass that reads each sample once. The layered path would write the
/// outputs, make a second pass for the loss head and a third for the weight gradient, and its matrix kernels run
/// vectors along a depth of 1..64 inputs, which for one output is mostly scalar work; here a 1-input model runs its
/// vectors along the samples and a wider one keeps the weights' vectors in L1 while it streams the rows.
/// The sums are those of the layered path: loss = mean r^2, dW = 2/B sum r x, db = 2/B sum r, with r = x.w + b - y.
/// </summary>
internal static class FusedRegressionEmitter
{
    /// <summary>Samples per group in the per-sample form: their dot products share each weight load, their gradient terms one load and store of dW.</summary>
    private const int Group = 4;

    public static void Emit(IndentedWriter w, ModelSpec model, ModelLayout layout)
    {
        int inputs = model.InputCount;
        w.Line($"/// <summary>Linear regression in one pass over the batch: returns the mean squared error and writes its gradient (r = x.w + b - y; dW = 2/B sum r x, db = 2/B sum r), or adds <paramref name=\"gradientWeight\"/> times it to <paramref name=\"gradient\"/>.</summary>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"private static float FusedRegression{Names.WidthTypeParameters}(ref float parameters, ref float inputs, ref float targets, ref float gradient, int batchSize, bool addToGradient, float gradientWeight) {Names.WidthConstraints}"))
        {
            w.Line("nuint batch = (nuint)batchSize;");
            w.Line($"float bias = {Names.Unsafe}.Add(ref parameters, {layout.BiasOffsets[0]});");
            w.Line("float scale = 2f / batchSize * gradientWeight;");
            if (inputs == 1)
            {
                EmitAlongSamples(w, layout);
            }
            else
            {
                EmitPerSample(w, layout, inputs);
            }
        }
        w.Line();
    }

    /// <summary>One input: every quantity is a vector along the samples; two accumulator sets hide the add latency.</summary>
    private static void EmitAlongSamples(IndentedWriter w, ModelLayout layout)
    {
        string u = Names.Unsafe;
        w.Line($"float weight = {u}.Add(ref parameters, {layout.WeightOffsets[0]});");
        w.Line("TVec wv = TOps.Broadcast(weight), bv = TOps.Broadcast(bias);");
        w.Line("TVec squares0 = TOps.Zero, squares1 = TOps.Zero, products0 = TOps.Zero, products1 = TOps.Zero, residuals0 = TOps.Zero, residuals1 = TOps.Zero;");
        w.Line("nuint b = 0;");
        using (w.Open("for (; b + 2 * (nuint)TOps.Count <= batch; b += 2 * (nuint)TOps.Count)"))
        {
            for (int s = 0; s < 2; s++)
            {
                string at = s == 0 ? "b" : "b + (nuint)TOps.Count";
                w.Line($"TVec x{s} = TOps.Load(ref inputs, {at});");
                w.Line($"TVec r{s} = TOps.Subtract(TOps.MultiplyAdd(x{s}, wv, bv), TOps.Load(ref targets, {at}));");
                w.Line($"squares{s} = TOps.MultiplyAdd(r{s}, r{s}, squares{s});");
                w.Line($"products{s} = TOps.MultiplyAdd(r{s}, x{s}, products{s});");
                w.Line($"residuals{s} = TOps.Add(residuals{s}, r{s});");
            }
        }
        using (w.Open("if (b + (nuint)TOps.Count <= batch)"))
        {
            w.Line("TVec x0 = TOps.Load(ref inputs, b);");
            w.Line("TVec r0 = TOps.Subtract(TOps.MultiplyAdd(x0, wv, bv), TOps.Load(ref targets, b));");
            w.Line("squares0 = TOps.MultiplyAdd(r0, r0, squares0);");
            w.Line("products0 = TOps.MultiplyAdd(r0, x0, products0);");
            w.Line("residuals0 = TOps.Add(residuals0, r0);");
            w.Line("b += (nuint)TOps.Count;");
        }
        w.Line("float squares = TOps.Sum(TOps.Add(squares0, squares1)), products = TOps.Sum(TOps.Add(products0, products1)), residuals = TOps.Sum(TOps.Add(residuals0, residuals1));");
        using (w.Open("for (; b < batch; b++)"))
        {
            w.Line($"float x = {u}.Add(ref inputs, b);");
            w.Line($"float r = x * weight + bias - {u}.Add(ref targets, b);");
            w.Line("squares += r * r;");
            w.Line("products += r * x;");
            w.Line("residuals += r;");
        }
        StoreOrAdd(w, $"{u}.Add(ref gradient, {layout.WeightOffsets[0]})", "products * scale");
        StoreOrAdd(w, $"{u}.Add(ref gradient, {layout.BiasOffsets[0]})", "residuals * scale");
        w.Line("return squares / batchSize;");
    }

    private static void StoreOrAdd(IndentedWriter w, string target, string value) =>
        w.Line($"if (addToGradient) {target} += {value}; else {target} = {value};");

    /// <summary>
    /// Several inputs: per group of samples, their dot products with the weights (vectors along the inputs), then
    /// dW += sum over the group of (scale r) x, reading the group's rows again from L1, straight into the gradient
    /// buffer (cleared first unless adding to it).
    /// </summary>
    private static void EmitPerSample(IndentedWriter w, ModelLayout layout, int inputs)
    {
        string u = Names.Unsafe;
        w.Line($"ref float weights = ref {u}.Add(ref parameters, {layout.WeightOffsets[0]});");
        w.Line($"ref float gradWeights = ref {u}.Add(ref gradient, {layout.WeightOffsets[0]});");
        w.Line($"if (!addToGradient) {u}.InitBlockUnaligned(ref {u}.As<float, byte>(ref gradWeights), 0, {inputs * sizeof(float)});");
        w.Line("float squares = 0f, residuals = 0f;");
        w.Line("nuint b = 0;");
        using (w.Open($"for (; b + {Group} <= batch; b += {Group})"))
        {
            EmitGroup(w, inputs, Group);
        }
        using (w.Open("for (; b < batch; b++)"))
        {
            EmitGroup(w, inputs, 1);
        }
        StoreOrAdd(w, $"{u}.Add(ref gradient, {layout.BiasOffsets[0]})", "residuals * scale");
        w.Line("return squares / batchSize;");
    }

    private static void EmitGroup(IndentedWriter w, int inputs, int samples)
    {
        string u = Names.Unsafe;
        for (int s = 0; s < samples; s++)
        {
            w.Line($"ref float x{s} = ref {u}.Add(ref inputs, (b + {s}) * {inputs});");
            w.Line($"float z{s} = bias;");
        }
        w.Line("nuint k = 0;");
        // The JIT folds this per register width; fewer inputs than lanes skip the vector loop and its lane sums.
        using (w.Open($"if ({inputs} >= TOps.Count)"))
        {
            for (int s = 0; s < samples; s++)
            {
                w.Line($"TVec d{s} = TOps.Zero;");
            }
            using (w.Open($"for (; k + (nuint)TOps.Count <= {inputs}; k += (nuint)TOps.Count)"))
            {
                w.Line("TVec wk = TOps.Load(ref weights, k);");
                for (int s = 0; s < samples; s++)
                {
                    w.Line($"d{s} = TOps.MultiplyAdd(TOps.Load(ref x{s}, k), wk, d{s});");
                }
            }
            for (int s = 0; s < samples; s++)
            {
                w.Line($"z{s} += TOps.Sum(d{s});");
            }
        }
        using (w.Open($"for (nuint j = k; j < {inputs}; j++)"))
        {
            w.Line($"float wj = {u}.Add(ref weights, j);");
            for (int s = 0; s < samples; s++)
            {
                w.Line($"z{s} += {u}.Add(ref x{s}, j) * wj;");
            }
        }
        for (int s = 0; s < samples; s++)
        {
            w.Line($"float r{s} = z{s} - {u}.Add(ref targets, b + {s});");
            w.Line($"squares += r{s} * r{s};");
            w.Line($"residuals += r{s};");
            w.Line($"float q{s} = r{s} * scale;");
            w.Line($"TVec rv{s} = TOps.Broadcast(q{s});");
        }
        w.Line("nuint g = 0;");
        using (w.Open($"for (; g + (nuint)TOps.Count <= {inputs}; g += (nuint)TOps.Count)"))
        {
            w.Line("TVec sum = TOps.Load(ref gradWeights, g);");
            for (int s = 0; s < samples; s++)
            {
                w.Line($"sum = TOps.MultiplyAdd(rv{s}, TOps.Load(ref x{s}, g), sum);");
            }
            w.Line("TOps.Store(sum, ref gradWeights, g);");
        }
        using (w.Open($"for (; g < {inputs}; g++)"))
        {
            string terms = string.Join(" + ", Enumerable.Range(0, samples).Select(s => $"q{s} * {u}.Add(ref x{s}, g)"));
            w.Line($"{u}.Add(ref gradWeights, g) += {terms};");
        }
    }
}
