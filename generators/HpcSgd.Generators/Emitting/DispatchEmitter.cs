using System.Collections.Generic;
using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Emits the public entry points of the model contract: argument checks, then the widest accelerated
/// register width, then the kernel for the batch size (a declared size, else the general path).
/// </summary>
internal static class DispatchEmitter
{
    private const string P = "ref parameters0, ";

    /// <summary>The byte-row arguments of a core method called on floats (see <see cref="ByteRowEntryEmitter"/>).</summary>
    private const string NoByteRows = "ref " + Names.Unsafe + ".NullRef<byte>(), ref " + Names.Unsafe + ".NullRef<int>(), ";

    public static void Emit(IndentedWriter w, ModelSpec model, IReadOnlyList<BatchShape> batches, IReadOnlyList<BatchShape> fusedBatches, bool fusedRegression, bool readsByteRows)
    {
        string rs = Names.ReadOnlySpan;
        string s = Names.Span;

        w.Line("/// <inheritdoc/>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"public static void Predict({rs} parameters, {rs} inputs, {s} outputs, {s} workspace, int batchSize)"))
        {
            CheckCommon(w);
            w.Line($"{Names.KernelArguments}.CheckLength(outputs.Length, (long)batchSize * OutputCount, nameof(outputs), \"batch size x OutputCount\");");
            Refs(w, "parameters", "inputs", "outputs", "workspace");
            WidthDispatch(w, "", "Forward", "ref parameters0, ref inputs0, ref workspace0, ref outputs0, batchSize");
            switch (model.Loss)
            {
                case LossKind.BinaryCrossEntropy:
                    w.Line($"{Names.LossHeads}.SigmoidInPlace(ref outputs0, batchSize);");
                    break;
                case LossKind.SoftmaxCrossEntropy:
                    w.Line($"{Names.LossHeads}.SoftmaxInPlace(ref outputs0, batchSize, OutputCount);");
                    break;
            }
        }
        w.Line();

        w.Line("/// <inheritdoc/>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"public static float EvaluateLoss({rs} parameters, {rs} inputs, {rs} targets, {s} workspace, int batchSize)"))
        {
            CheckCommon(w);
            CheckTargets(w, model);
            Refs(w, "parameters", "inputs", "targets", "workspace");
            w.Line($"ref float outputs0 = ref {Names.Unsafe}.Add(ref workspace0, batchSize * HiddenPerSample);");
            WidthDispatch(w, "", "Forward", "ref parameters0, ref inputs0, ref workspace0, ref outputs0, batchSize");
            w.Line($"return {LossCall(model, "Loss")};");
        }
        w.Line();

        w.Line("/// <inheritdoc/>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"public static float LossAndGradient({rs} parameters, {rs} inputs, {rs} targets, {s} gradient, {s} workspace, int batchSize)"))
        {
            CheckGradientArguments(w, model);
            Refs(w, "parameters", "inputs", "targets", "gradient", "workspace");
            WidthDispatch(w, "return ", "LossAndGradientCore", "ref parameters0, " + NoByteRows + "ref inputs0, ref targets0, ref gradient0, ref workspace0, batchSize, false, 1f");
        }
        w.Line();

        w.Line("/// <inheritdoc/>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"public static float AccumulateLossAndGradient({rs} parameters, {rs} inputs, {rs} targets, {s} gradient, {s} workspace, int batchSize, float weight)"))
        {
            CheckGradientArguments(w, model);
            w.Line($"{Names.KernelArguments}.CheckWeight(weight);");
            Refs(w, "parameters", "inputs", "targets", "gradient", "workspace");
            WidthDispatch(w, "return ", "LossAndGradientCore", "ref parameters0, " + NoByteRows + "ref inputs0, ref targets0, ref gradient0, ref workspace0, batchSize, true, weight");
        }
        w.Line();

        w.Line("/// <inheritdoc/>");
        w.Line(Names.Inlined);
        using (w.Open($"public static void Update({s} parameters, {rs} gradient, {s} velocity, in {Names.UpdateRule} rule)"))
        {
            w.Line($"{Names.KernelArguments}.CheckLength(parameters.Length, ParameterCount, nameof(parameters), \"ParameterCount\");");
            w.Line($"{Names.KernelArguments}.CheckLength(gradient.Length, ParameterCount, nameof(gradient), \"ParameterCount\");");
            w.Line($"if (rule.Momentum != 0f) {Names.KernelArguments}.CheckLength(velocity.Length, ParameterCount, nameof(velocity), \"ParameterCount, for momentum\");");
            Refs(w, "parameters", "gradient", "velocity");
            WidthDispatch(w, "", "UpdateCore", "ref parameters0, ref gradient0, ref velocity0, in rule");
        }
        w.Line();

        w.Line("/// <inheritdoc/>");
        w.Line(Names.Inlined);
        using (w.Open($"public static float TrainStep({s} parameters, {rs} inputs, {rs} targets, {s} gradient, {s} velocity, {s} workspace, int batchSize, in {Names.UpdateRule} rule, float lossLimit)"))
        {
            CheckGradientArguments(w, model);
            w.Line($"if (rule.Momentum != 0f) {Names.KernelArguments}.CheckLength(velocity.Length, ParameterCount, nameof(velocity), \"ParameterCount, for momentum\");");
            Refs(w, "parameters", "inputs", "targets", "gradient", "workspace");
            // Without momentum the velocity is never read; point at the parameters rather than past an empty span.
            w.Line($"ref float velocity0 = ref rule.Momentum == 0f ? ref parameters0 : ref {Names.MemoryMarshal}.GetReference(velocity);");
            WidthDispatch(w, "return ", "TrainStepCore", "ref parameters0, " + NoByteRows + "ref inputs0, ref targets0, ref gradient0, ref velocity0, ref workspace0, batchSize, in rule, lossLimit");
        }
        w.Line();

        ByteRowEntryEmitter.Emit(w, model, readsByteRows);

        // The contract's `in` parameters make its signatures differ from these methods' (a modreq), so without explicit
        // implementations the compiler adds bridges of its own, which carry no attribute: a session calling through the
        // contract would run them tiered, recompiled mid-run. These are compiled optimized on first call instead.
        string contract = $"{Names.Models}ISgdModel<{model.TypeName}>";
        w.Line(Names.FullyOptimized);
        w.Line($"static void {contract}.Update({s} parameters, {rs} gradient, {s} velocity, in {Names.UpdateRule} rule) => Update(parameters, gradient, velocity, in rule);");
        w.Line();
        w.Line(Names.FullyOptimized);
        w.Line($"static float {contract}.TrainStep({s} parameters, {rs} inputs, {rs} targets, {s} gradient, {s} velocity, {s} workspace, int batchSize, in {Names.UpdateRule} rule, float lossLimit) =>");
        w.Line("    TrainStep(parameters, inputs, targets, gradient, velocity, workspace, batchSize, in rule, lossLimit);");
        w.Line();

        w.Line("/// <summary>Loss and gradient, then unless the loss fails the limit the update (fused into the backward pass at the batch sizes that allow it).</summary>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"private static float TrainStepCore{Names.WidthTypeParameters}(ref float parameters0, ref byte source0, ref int rows0, ref float inputs0, ref float targets0, ref float gradient0, ref float velocity0, ref float workspace0, int batchSize, in {Names.UpdateRule} rule, float lossLimit) {Names.WidthConstraints}"))
        {
            if (fusedRegression)
            {
                w.Line($"float loss = FusedRegression{Names.WidthTypeParameters}(ref parameters0, ref inputs0, ref targets0, ref gradient0, batchSize, false, 1f);");
                using (w.Open("if (!float.IsFinite(loss) || loss > lossLimit)"))
                {
                    w.Line("return loss;");
                }
                w.Line($"UpdateCore{Names.WidthTypeParameters}(ref parameters0, ref gradient0, ref velocity0, in rule);");
                w.Line("return loss;");
            }
            else
            {
                EmitLayeredTrainStep(w, model, fusedBatches, readsByteRows);
            }
        }
        w.Line();

        w.Line("/// <summary>Forward pass, loss head (leaves dL/dz in the logits), backward pass: writes the gradient, or adds <paramref name=\"weight\"/> times it to <paramref name=\"gradient0\"/>.</summary>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"private static float LossAndGradientCore{Names.WidthTypeParameters}(ref float parameters0, ref byte source0, ref int rows0, ref float inputs0, ref float targets0, ref float gradient0, ref float workspace0, int batchSize, bool addToGradient, float weight) {Names.WidthConstraints}"))
        {
            if (fusedRegression)
            {
                w.Line($"return FusedRegression{Names.WidthTypeParameters}(ref parameters0, ref inputs0, ref targets0, ref gradient0, batchSize, addToGradient, weight);");
            }
            else
            {
                w.Line($"ref float outputs0 = ref {Names.Unsafe}.Add(ref workspace0, batchSize * HiddenPerSample);");
                ForwardCall(w, readsByteRows);
                w.Line($"float loss = {LossCall(model, "LossAndDelta")};");
                // The gradient is linear in dL/dz: weighting the deltas weights every layer's gradient.
                using (w.Open("if (weight != 1f)"))
                {
                    w.Line($"{Names.DenseMath}.Scale{Names.WidthTypeParameters}(ref outputs0, batchSize * OutputCount, weight);");
                }
                w.Line($"Backward{Names.WidthTypeParameters}(ref parameters0, ref inputs0, ref workspace0, ref outputs0, ref gradient0, addToGradient, batchSize);");
                w.Line("return loss;");
            }
        }
        w.Line();

        BatchSwitch(w, "Forward", "ref float parameters0, ref float inputs0, ref float workspace0, ref float outputs0", "ref parameters0, ref inputs0, ref workspace0, ref outputs0", batches);
        if (readsByteRows)
        {
            BatchSwitch(w, "ForwardBytes", "ref float parameters0, ref byte source0, ref int rows0, ref float inputs0, ref float workspace0, ref float outputs0", "ref parameters0, ref source0, ref rows0, ref inputs0, ref workspace0, ref outputs0", batches);
        }
        if (!fusedRegression)
        {
            BatchSwitch(w, "Backward", "ref float parameters0, ref float inputs0, ref float workspace0, ref float outputs0, ref float gradient0, bool addToGradient", "ref parameters0, ref inputs0, ref workspace0, ref outputs0, ref gradient0, addToGradient", batches);
        }
    }

    /// <summary>Forward pass and loss head, then unless the loss fails the limit the backward pass and update, fused at the batch sizes that allow it.</summary>
    private static void EmitLayeredTrainStep(IndentedWriter w, ModelSpec model, IReadOnlyList<BatchShape> fusedBatches, bool readsByteRows)
    {
        w.Line($"ref float outputs0 = ref {Names.Unsafe}.Add(ref workspace0, batchSize * HiddenPerSample);");
        ForwardCall(w, readsByteRows);
        w.Line($"float loss = {LossCall(model, "LossAndDelta")};");
        using (w.Open("if (!float.IsFinite(loss) || loss > lossLimit)"))
        {
            w.Line("return loss;");
        }
        using (w.Open("switch (batchSize)"))
        {
            foreach (BatchShape batch in fusedBatches)
            {
                foreach (int size in batch.Sizes)
                {
                    w.Line($"case {size}:");
                    w.Line($"    BackwardUpdate_{batch.Suffix}{batch.TypeArgumentsFor(size)}(ref parameters0, ref inputs0, ref workspace0, ref outputs0, ref velocity0, in rule);");
                    w.Line("    return loss;");
                }
            }
            w.Line("default:");
            w.Line($"    Backward{Names.WidthTypeParameters}(ref parameters0, ref inputs0, ref workspace0, ref outputs0, ref gradient0, false, batchSize);");
            w.Line($"    UpdateCore{Names.WidthTypeParameters}(ref parameters0, ref gradient0, ref velocity0, in rule);");
            w.Line("    return loss;");
        }
    }

    /// <summary>The forward pass of a core method: from byte rows when it was given them (the first layer then widens them into the inputs).</summary>
    private static void ForwardCall(IndentedWriter w, bool readsByteRows)
    {
        string floats = $"Forward{Names.WidthTypeParameters}(ref parameters0, ref inputs0, ref workspace0, ref outputs0, batchSize);";
        if (!readsByteRows)
        {
            w.Line(floats);
            return;
        }
        using (w.Open($"if ({Names.Unsafe}.IsNullRef(ref source0))"))
        {
            w.Line(floats);
        }
        using (w.Open("else"))
        {
            w.Line($"ForwardBytes{Names.WidthTypeParameters}(ref parameters0, ref source0, ref rows0, ref inputs0, ref workspace0, ref outputs0, batchSize);");
        }
    }

    private static string LossCall(ModelSpec model, string kind) => model.Loss switch
    {
        LossKind.BinaryCrossEntropy => $"{Names.LossHeads}.BinaryCrossEntropy{kind}(ref outputs0, ref targets0, batchSize)",
        LossKind.SoftmaxCrossEntropy => $"{Names.LossHeads}.SoftmaxCrossEntropy{kind}(ref outputs0, ref targets0, batchSize, OutputCount)",
        _ => kind == "LossAndDelta"
            ? $"{Names.LossHeads}.MeanSquaredErrorLossAndDelta<{Names.Activation(model.Layers[model.Layers.Count - 1].Activation)}>(ref outputs0, ref targets0, batchSize * OutputCount)"
            : $"{Names.LossHeads}.MeanSquaredErrorLoss(ref outputs0, ref targets0, batchSize * OutputCount)",
    };

    internal static void CheckCommon(IndentedWriter w)
    {
        w.Line($"{Names.KernelArguments}.CheckBatchSize(batchSize);");
        w.Line($"{Names.KernelArguments}.CheckLength(parameters.Length, ParameterCount, nameof(parameters), \"ParameterCount\");");
        w.Line($"{Names.KernelArguments}.CheckLength(inputs.Length, (long)batchSize * InputCount, nameof(inputs), \"batch size x InputCount\");");
        w.Line($"{Names.KernelArguments}.CheckLength(workspace.Length, (long)batchSize * WorkspacePerSample, nameof(workspace), \"WorkspaceLength(batchSize)\");");
    }

    /// <summary>The checks of every entry point that computes a gradient: batch, spans, targets, gradient length.</summary>
    internal static void CheckGradientArguments(IndentedWriter w, ModelSpec model)
    {
        CheckCommon(w);
        CheckTargets(w, model);
        w.Line($"{Names.KernelArguments}.CheckLength(gradient.Length, ParameterCount, nameof(gradient), \"ParameterCount\");");
    }

    internal static void CheckTargets(IndentedWriter w, ModelSpec model)
    {
        string width = model.Loss == LossKind.MeanSquaredError ? "OutputCount" : "1";
        w.Line($"{Names.KernelArguments}.CheckLength(targets.Length, (long)batchSize * {width}, nameof(targets), \"batch size x {width}\");");
        if (model.Loss == LossKind.SoftmaxCrossEntropy)
        {
            w.Line($"{Names.KernelArguments}.CheckLabels(targets.Slice(0, batchSize), OutputCount, nameof(targets));");
        }
    }

    internal static void Refs(IndentedWriter w, params string[] spans)
    {
        foreach (string span in spans)
        {
            w.Line($"ref float {span}0 = ref {Names.MemoryMarshal}.GetReference({span});");
        }
    }

    /// <summary>Calls <paramref name="method"/> for the widest accelerated register width, as an if / else-if chain the JIT folds to one call.</summary>
    internal static void WidthDispatch(IndentedWriter w, string prefix, string method, string arguments)
    {
        for (int i = 0; i < Names.Widths.Length; i++)
        {
            (string condition, string typeArguments) = Names.Widths[i];
            string keyword = i == 0 ? "if" : condition.Length == 0 ? "else" : "else if";
            using (w.Open(condition.Length == 0 ? keyword : $"{keyword} ({condition})"))
            {
                w.Line($"{prefix}{method}{typeArguments}({arguments});");
            }
        }
    }

    private static void BatchSwitch(IndentedWriter w, string method, string parameters, string arguments, IReadOnlyList<BatchShape> batches)
    {
        w.Line($"/// <summary>{method} pass: the kernel specialized for <paramref name=\"batchSize\"/> if it was declared, else the general one.</summary>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"private static void {method}{Names.WidthTypeParameters}({parameters}, int batchSize) {Names.WidthConstraints}"))
        using (w.Open("switch (batchSize)"))
        {
            foreach (BatchShape batch in batches)
            {
                foreach (int size in batch.Sizes)
                {
                    w.Line(batch.IsGeneral ? "default:" : $"case {size}:");
                    w.Line($"    {method}_{batch.Suffix}{batch.TypeArgumentsFor(size)}({arguments}{batch.Argument});");
                    w.Line("    return;");
                }
            }
        }
        w.Line();
    }
}
