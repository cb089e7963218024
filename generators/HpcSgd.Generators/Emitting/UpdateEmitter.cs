using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting;

/// <summary>Emits the parameter update over the model's whole parameter buffer, its length a literal.</summary>
internal static class UpdateEmitter
{
    public static void Emit(IndentedWriter w, ModelSpec model, ModelLayout layout)
    {
        w.Line($"/// <summary>One SGD step over all {layout.ParameterCount} parameters; weight decay is fused into the same pass.</summary>");
        w.Line(Names.FullyOptimized);
        using (w.Open($"private static void UpdateCore{Names.WidthTypeParameters}(ref float parameters, ref float gradient, ref float velocity, in {Names.UpdateRule} rule) {Names.WidthConstraints}"))
        {
            using (w.Open("if (rule.Momentum == 0f)"))
            {
                w.Line($"{Names.UpdateMath}.Sgd{Names.WidthTypeParameters}(ref parameters, ref gradient, rule.LearningRate, rule.WeightDecay, {layout.ParameterCount});");
            }
            using (w.Open("else"))
            {
                w.Line($"{Names.UpdateMath}.Momentum{Names.WidthTypeParameters}(ref parameters, ref gradient, ref velocity, rule.LearningRate, rule.Momentum, rule.WeightDecay, rule.Nesterov, {layout.ParameterCount});");
            }
        }
        w.Line();
    }
}
