using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Emits the entry points on a batch of byte rows (ByteRowBatch): the checks of their float twins plus the rows' width,
/// then, where the plan has the first layer read byte rows, the core methods on the rows (the forward pass widens them
/// into the inputs); otherwise the rows are widened into the inputs and the float entry point runs.
/// </summary>
internal static class ByteRowEntryEmitter
{
    public static void Emit(IndentedWriter w, ModelSpec model, bool readsByteRows)
    {
        string rs = Names.ReadOnlySpan;
        string s = Names.Span;
        string rows = Names.ByteRowBatch;
        Entry(w, model, readsByteRows, Names.FullyOptimized,
            $"AccumulateLossAndGradient({rs} parameters, {rows} rows, {s} inputs, {rs} targets, {s} gradient, {s} workspace, float weight)",
            $"{Names.KernelArguments}.CheckWeight(weight);",
            "AccumulateLossAndGradient(parameters, inputs, targets, gradient, workspace, batchSize, weight)",
            "LossAndGradientCore", "ref gradient0, ref workspace0, batchSize, true, weight", withVelocity: false);
        Entry(w, model, readsByteRows, Names.Inlined,
            $"TrainStep({s} parameters, {rows} rows, {s} inputs, {rs} targets, {s} gradient, {s} velocity, {s} workspace, in {Names.UpdateRule} rule, float lossLimit)",
            $"if (rule.Momentum != 0f) {Names.KernelArguments}.CheckLength(velocity.Length, ParameterCount, nameof(velocity), \"ParameterCount, for momentum\");",
            "TrainStep(parameters, inputs, targets, gradient, velocity, workspace, batchSize, in rule, lossLimit)",
            "TrainStepCore", "ref gradient0, ref velocity0, ref workspace0, batchSize, in rule, lossLimit", withVelocity: true);

        // As for the float TrainStep: an explicit implementation compiled optimized, not a bridge of the compiler's own.
        w.Line(Names.FullyOptimized);
        w.Line($"static float {Names.Models}ISgdModel<{model.TypeName}>.TrainStep({s} parameters, {rows} rows, {s} inputs, {rs} targets, {s} gradient, {s} velocity, {s} workspace, in {Names.UpdateRule} rule, float lossLimit) =>");
        w.Line("    TrainStep(parameters, rows, inputs, targets, gradient, velocity, workspace, in rule, lossLimit);");
        w.Line();
    }

    private static void Entry(IndentedWriter w, ModelSpec model, bool readsByteRows, string attribute, string signature, string check,
        string floatCall, string core, string coreArgumentsAfterTargets, bool withVelocity)
    {
        w.Line("/// <inheritdoc/>");
        w.Line(attribute);
        using (w.Open($"public static float {signature}"))
        {
            w.Line("int batchSize = rows.Count;");
            w.Line($"{Names.KernelArguments}.CheckByteRows(rows.Width, InputCount, nameof(rows));");
            DispatchEmitter.CheckGradientArguments(w, model);
            w.Line(check);
            if (!readsByteRows)
            {
                w.Line("rows.WidenInto(inputs);");
                w.Line($"return {floatCall};");
                return;
            }
            DispatchEmitter.Refs(w, "parameters", "inputs", "targets", "gradient", "workspace");
            w.Line($"ref byte source0 = ref {Names.MemoryMarshal}.GetReference(rows.Source);");
            w.Line($"ref int rows0 = ref {Names.MemoryMarshal}.GetReference(rows.Indices);");
            if (withVelocity)
            {
                // Without momentum the velocity is never read; point at the parameters rather than past an empty span.
                w.Line($"ref float velocity0 = ref rule.Momentum == 0f ? ref parameters0 : ref {Names.MemoryMarshal}.GetReference(velocity);");
            }
            DispatchEmitter.WidthDispatch(w, "return ", core, "ref parameters0, ref source0, ref rows0, ref inputs0, ref targets0, " + coreArgumentsAfterTargets);
        }
        w.Line();
    }
}
