using System.Reflection;
using HpcSgd.Data;
using HpcSgd.Models;

namespace HpcSgd.Cli.Explorer;

/// <summary>A model compiled into the CLI, by the name users pass to --model.</summary>
internal sealed record CatalogModel(string Name, ModelDescription Description, string Purpose,
    Func<string, string, TrainValidationSplit, ulong, Experiment> Bind);

/// <summary>
/// The models compiled into hpcsgd (their kernels are generated at build time, so a CSV file must match one of these
/// shapes; other shapes are declared in your own code with [SgdModel] and run through the library API), and the
/// embedded datasets of the default run.
/// </summary>
internal static class ModelCatalog
{
    public static readonly CatalogModel[] Models =
    [
        new("classic", ClassicRegression.Description, "1 input -> 1 output, linear regression (the classic y = 3x + 2 example)",
            Binder<ClassicRegression>()),
        new("digits-softmax", DigitsSoftmax.Description, "64 inputs -> 10 classes, softmax regression",
            Binder<DigitsSoftmax>()),
        new("digits-mlp", DigitsMlp.Description, "64 inputs -> 32 ReLU -> 10 classes, MLP",
            Binder<DigitsMlp>()),
        new("fashion-mlp", FashionMlp.Description, "784 inputs -> 128 ReLU -> 10 classes, MLP (Fashion-MNIST's)",
            Binder<FashionMlp>()),
    ];

    /// <summary>The data sets --dataset names.</summary>
    public const string Datasets = "fashion-mnist";

    /// <summary>
    /// Fashion-MNIST from Debian's dataset-fashion-mnist package (or <paramref name="directory"/>): the 60,000 training
    /// images to train on, the 10,000 test images to validate, pixels scaled to [0, 1], the MLP 784 -> 128 -> 10.
    /// </summary>
    public static Experiment FashionMnist(string? directory, ulong initSeed)
    {
        LabeledImages train = HpcSgd.Data.FashionMnist.Load(train: true, directory ?? HpcSgd.Data.FashionMnist.DefaultDirectory);
        LabeledImages test = HpcSgd.Data.FashionMnist.Load(train: false, directory ?? HpcSgd.Data.FashionMnist.DefaultDirectory);
        return Experiment.Create<FashionMlp>("fashion-mnist", "Fashion-MNIST (60,000 training images, the 10,000 test images for validation, pixels / 255)",
            train.Pixels, [.. train.Labels.Select(l => (float)l)], test.Pixels, [.. test.Labels.Select(l => (float)l)], initSeed);
    }

    public static string Names => string.Join(", ", Models.Select(m => m.Name));

    /// <summary>Binds a split to <typeparamref name="TModel"/>.</summary>
    private static Func<string, string, TrainValidationSplit, ulong, Experiment> Binder<TModel>() where TModel : ISgdModel<TModel> =>
        (name, title, s, seed) => Experiment.Create<TModel>(name, title, s.TrainFeatures, s.TrainTargets, s.ValidationFeatures, s.ValidationTargets, seed);

    public static CatalogModel Find(string name) =>
        Models.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"--model is '{name}'; the models compiled into hpcsgd are {Names}.", "model");

    /// <summary>The classic example: y = 3x + 2 + U(0, 1) noise; <paramref name="samples"/> to train on, 1,000 fresh ones to validate.</summary>
    public static Experiment Classic(int samples, ulong dataSeed, ulong initSeed)
    {
        if (samples < 2)
        {
            throw new ArgumentException($"--samples is {samples}; a line needs at least 2 samples to fit.", "samples");
        }
        (float[] x, float[] y) = ClassicExample.Generate(samples, dataSeed);
        (float[] vx, float[] vy) = ClassicExample.Generate(1000, dataSeed + 1);
        var split = new TrainValidationSplit(x, y, vx, vy, Standardizer.Identity(1));
        return Find("classic").Bind("classic", $"the classic example y = 3x + 2 + U(0,1) noise ({samples} training samples, 1,000 validation samples)", split, initSeed);
    }

    /// <summary>The embedded digits table (see Data/README.md).</summary>
    public static CsvTable EmbeddedDigits()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("HpcSgd.Cli.Data.digits.csv")
            ?? throw new InvalidOperationException("The embedded digits.csv is missing from this build.");
        using var reader = new StreamReader(stream);
        return CsvTable.Parse(reader.ReadToEnd(), "digits.csv (embedded)", "label", TargetKind.Classification);
    }

    /// <summary>Binds a CSV table to a catalogue model after checking that its columns fit the model's shape.</summary>
    public static Experiment FromTable(CsvTable table, string modelName, double validationFraction, ulong splitSeed, ulong initSeed, string name)
    {
        CatalogModel model = Find(modelName);
        ModelDescription d = model.Description;
        if (table.FeatureCount != d.InputCount)
        {
            throw new ArgumentException(
                $"{table.Source}: {table.FeatureCount} feature columns, but --model {model.Name} takes {d.InputCount} inputs ({model.Purpose}); models compiled into hpcsgd: {Names}.", "model");
        }
        bool classifier = d.Loss != Loss.MeanSquaredError;
        if (classifier != (table.Kind == TargetKind.Classification))
        {
            throw new ArgumentException(
                $"--model {model.Name} is a {(classifier ? "classifier" : "regression model")} but --task is {(table.Kind == TargetKind.Classification ? "classification" : "regression")}.", "task");
        }
        if (classifier && table.ClassNames.Count > d.OutputCount)
        {
            throw new ArgumentException(
                $"{table.Source}: column '{table.TargetName}' has {table.ClassNames.Count} classes but --model {model.Name} has {d.OutputCount} outputs.", "model");
        }
        TrainValidationSplit split = TrainValidationSplit.Create(table, validationFraction, splitSeed);
        string title = $"{table.Source}, target '{table.TargetName}' ({table.Count} rows: {split.TrainTargets.Length} training, {split.ValidationTargets.Length} validation, standardised)";
        return model.Bind(name, title, split, initSeed);
    }
}
