using System.Globalization;
using System.Text;
using HpcSgd.Cli.Tables;
using HpcSgd.Compiler;
using HpcSgd.Data;
using HpcSgd.Models;

namespace HpcSgd.Cli.Explorer;

/// <summary>The model a table gets: hidden layers (none: linear, logistic or softmax regression) and their activation.</summary>
internal sealed record ModelChoice(IReadOnlyList<int> Hidden, Activation Activation, string? CacheDirectory);

/// <summary>
/// Any CSV table as an experiment: prepared (<see cref="PreparedTable"/>), split and standardised, its model declared
/// from the task and the table's width with every swept batch size declared, compiled at run time
/// (<see cref="ModelCompiler"/>), and bound as an <see cref="Experiment"/>. The decisions go into the report's notes.
/// </summary>
internal static class TableExperiment
{
    public static Experiment Create(PreparedTable table, ModelChoice choice, double validationFraction, ulong seed, string name,
        Func<int, IReadOnlyList<int>> batchSizesFor)
    {
        TrainValidationSplit split = TrainValidationSplit.Create(table.Features, table.Targets, table.FeatureCount, validationFraction, seed);
        (float mean, float scale) = table.Kind == TargetKind.Regression ? StandardiseTargets(split) : (0f, 1f);
        IReadOnlyList<int> batchSizes = batchSizesFor(split.TrainTargets.Length);
        ModelDeclaration declaration = Declare(table, choice, batchSizes, name);
        CompiledModel compiled = new ModelCompiler(choice.CacheDirectory).Compile(declaration);
        string title = $"{table.Source}, target '{table.TargetName}' ({table.Count} rows: {split.TrainTargets.Length} training, {split.ValidationTargets.Length} validation, standardised)";
        Experiment experiment = compiled.Accept(new Binder(name, title, split, seed));
        experiment.Notes = Notes(table, compiled, mean, scale);
        experiment.Declaration = declaration;
        experiment.TargetScale = table.Kind == TargetKind.Regression ? scale : null;
        return experiment;
    }

    /// <summary>Regression targets in units of their training standard deviation, so learning rates carry over between tables.</summary>
    private static (float Mean, float Scale) StandardiseTargets(TrainValidationSplit split)
    {
        Standardizer scaling = Standardizer.Fit(split.TrainTargets, 1);
        scaling.Apply(split.TrainTargets);
        scaling.Apply(split.ValidationTargets);
        return (scaling.Means[0], scaling.Scales[0]);
    }

    /// <summary>Linear (MSE), logistic (binary cross-entropy) or softmax regression, with the hidden layers in front.</summary>
    internal static ModelDeclaration Declare(PreparedTable table, ModelChoice choice, IReadOnlyList<int> batchSizes, string name)
    {
        (Loss loss, int outputs) = table.Kind == TargetKind.Regression ? (Loss.MeanSquaredError, 1)
            : table.ClassNames.Count == 2 ? (Loss.BinaryCrossEntropy, 1)
            : (Loss.SoftmaxCrossEntropy, table.ClassNames.Count);
        var layers = new List<DenseLayer>();
        int inputs = table.FeatureCount;
        foreach (int width in choice.Hidden)
        {
            layers.Add(new DenseLayer(inputs, width, choice.Activation));
            inputs = width;
        }
        layers.Add(new DenseLayer(inputs, outputs));
        return new ModelDeclaration(TypeName(name), loss, layers, batchSizes);
    }

    /// <summary>"breast-cancer" -> "BreastCancerModel": a C# type name from the file name.</summary>
    internal static string TypeName(string name)
    {
        var text = new StringBuilder();
        foreach (string word in new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : ' ')]).Split(' '))
        {
            if (word.Length > 0)
            {
                text.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
            }
        }
        if (text.Length == 0 || char.IsAsciiDigit(text[0]))
        {
            text.Insert(0, "Table");
        }
        return text.Append("Model").ToString();
    }

    private static string[] Notes(PreparedTable table, CompiledModel compiled, float mean, float scale)
    {
        var inv = CultureInfo.InvariantCulture;
        var notes = new List<string>
        {
            $"Task: {(table.Kind == TargetKind.Classification ? "classification" : "regression")}, because {table.KindReason}.",
        };
        if (table.Kind == TargetKind.Classification)
        {
            notes.Add($"Classes (index: label): {string.Join(", ", table.ClassNames.Select((c, i) => $"{i}: {MessageText.Show(c)}"))}.");
        }
        else
        {
            notes.Add(string.Create(inv, $"Target standardised: trained on ('{table.TargetName}' - {mean:G6}) / {scale:G6}, so a loss here is the mean squared error in units of the target's variance (multiply by {(double)scale * scale:G4} for its own units)."));
        }
        int numeric = table.FeatureCount - table.Encoded.Sum(e => e.Width);
        notes.Add($"Features: {table.FeatureCount} ({numeric} numeric column{(numeric == 1 ? "" : "s")}" +
            (table.Encoded.Any() ? $", {table.Encoded.Count()} text column{(table.Encoded.Count() == 1 ? "" : "s")} one-hot encoded" : "") + "), standardised with the training rows' mean and deviation.");
        foreach (FeatureColumn e in table.Encoded)
        {
            notes.Add($"One-hot '{MessageText.Show(e.Name)}': {string.Join(", ", e.Categories!.Select(MessageText.Show))}.");
        }
        if (table.Excluded.Count > 0)
        {
            notes.Add($"Excluded: {string.Join(", ", table.Excluded)}.");
        }
        if (table.DroppedRows > 0)
        {
            notes.Add($"Rows left out for missing values: {table.DroppedRows}.");
        }
        foreach (FilledColumn f in table.Filled)
        {
            notes.Add($"Missing cells filled in '{MessageText.Show(f.Name)}': {f.Cells} with {MessageText.Show(f.Value)}.");
        }
        notes.Add(string.Create(inv, $"Kernels: {(compiled.FromCache ? "from the model cache" : "generated and compiled now")} in {compiled.CompileTime.TotalSeconds:F2} s, for {KernelWords()} (cache: {compiled.CachePath})."));
        return [.. notes];
    }

    private static string KernelWords() => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "this CPU's AVX-512"
        : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "this CPU's AVX2"
        : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? "this CPU's 128-bit vectors" : "scalar code";

    private sealed class Binder(string name, string title, TrainValidationSplit split, ulong seed) : IModelVisitor<Experiment>
    {
        public Experiment Visit<TModel>() where TModel : ISgdModel<TModel> =>
            Experiment.Create<TModel>(name, title, split.TrainFeatures, split.TrainTargets, split.ValidationFeatures, split.ValidationTargets, seed);
    }
}
