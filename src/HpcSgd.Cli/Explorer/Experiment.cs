using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;
using HpcSgd.Tuning;

namespace HpcSgd.Cli.Explorer;

/// <summary>
/// One dataset bound to one model compiled into the CLI: the explorer's three parts run through this handle, so
/// the job, plots and report stay free of the model's static type.
/// </summary>
internal abstract class Experiment
{
    protected Experiment(string name, string title, int trainingCount, int validationCount, bool classifier)
    {
        Name = name;
        Title = title;
        TrainingCount = trainingCount;
        ValidationCount = validationCount;
        IsClassifier = classifier;
    }

    /// <summary>Folder-safe name, e.g. "classic".</summary>
    public string Name { get; }

    /// <summary>What it is, in words.</summary>
    public string Title { get; }

    public int TrainingCount { get; }

    public int ValidationCount { get; }

    public bool IsClassifier { get; }

    /// <summary>How the data became this experiment (task, encodings, missing values, kernels), one sentence each, for the report.</summary>
    public IReadOnlyList<string> Notes { get; set; } = [];

    /// <summary>For a standardised regression target: the training rows' standard deviation, which turns losses back into the target's units.</summary>
    public float? TargetScale { get; set; }

    /// <summary>The declaration this model was compiled from at run time (null for a model compiled into hpcsgd).</summary>
    public HpcSgd.Compiler.ModelDeclaration? Declaration { get; set; }

    /// <summary>The model's name and shape, e.g. "DigitsMlp (64 -> 32 ReLU -> 10, SoftmaxCrossEntropy)".</summary>
    public abstract string ModelDescription { get; }

    public abstract SweepResult Sweep(SweepOptions options, SweepMonitor monitor, CancellationToken cancellationToken);

    public abstract IReadOnlyList<RangeTestResult> RangeTests(RangeTestOptions options, IReadOnlyList<ulong> seeds, IReadOnlyList<int> batchSizes);

    /// <summary>A rate per batch size for a budget of whole epochs (<see cref="HpcSgd.Tuning.BudgetedRates"/>).</summary>
    public abstract BudgetedRateResult BudgetedRates(BudgetedRateOptions options, CancellationToken cancellationToken);

    public abstract GradientVarianceStudy GradientVariance(IReadOnlyList<int> batchSizes, int draws, ulong seed);

    public abstract IReadOnlyList<NoiseScaleEstimate> NoiseOverTraining(float learningRate, int batchSize, int steps, int checkpoints,
        int smallBatch, int bigBatch, int draws, ulong seed);

    /// <summary>Binds <typeparamref name="TModel"/> to training and validation rows, checking them against its shape.</summary>
    public static Experiment Create<TModel>(string name, string title, ReadOnlySpan<float> trainX, ReadOnlySpan<float> trainY,
        ReadOnlySpan<float> validX, ReadOnlySpan<float> validY, ulong initSeed)
        where TModel : ISgdModel<TModel> =>
        new Experiment<TModel>(name, title, new Dataset<TModel>(trainX, trainY), new Dataset<TModel>(validX, validY), initSeed);
}

internal sealed class Experiment<TModel> : Experiment where TModel : ISgdModel<TModel>
{
    private readonly Dataset<TModel> training;
    private readonly Dataset<TModel> validation;
    private readonly float[] initial;

    public Experiment(string name, string title, Dataset<TModel> training, Dataset<TModel> validation, ulong initSeed)
        : base(name, title, training.Count, validation.Count, TModel.Description.Loss != Loss.MeanSquaredError)
    {
        this.training = training;
        this.validation = validation;
        initial = new Model<TModel>(initSeed).Parameters.ToArray();
    }

    public override string ModelDescription
    {
        get
        {
            ModelDescription d = TModel.Description;
            IEnumerable<string> layers = d.Layers.Select(l => l.Activation == Activation.Identity ? $"{l.Outputs}" : $"{l.Outputs} {l.Activation}");
            return $"{d.Name} ({d.InputCount} -> {string.Join(" -> ", layers)}, {d.Loss})";
        }
    }

    public override SweepResult Sweep(SweepOptions options, SweepMonitor monitor, CancellationToken cancellationToken) =>
        LearningRateSweep.Run(initial, training, validation, options, monitor, cancellationToken);

    public override IReadOnlyList<RangeTestResult> RangeTests(RangeTestOptions options, IReadOnlyList<ulong> seeds, IReadOnlyList<int> batchSizes) =>
        LearningRateRangeTest.Repeat(initial, training, options, seeds, batchSizes);

    public override BudgetedRateResult BudgetedRates(BudgetedRateOptions options, CancellationToken cancellationToken) =>
        HpcSgd.Tuning.BudgetedRates.Suggest(initial, training, validation, options, cancellationToken);

    public override GradientVarianceStudy GradientVariance(IReadOnlyList<int> batchSizes, int draws, ulong seed) =>
        GradientNoise.MeasureVariance(initial, training, batchSizes, draws, seed);

    public override IReadOnlyList<NoiseScaleEstimate> NoiseOverTraining(float learningRate, int batchSize, int steps, int checkpoints,
        int smallBatch, int bigBatch, int draws, ulong seed) =>
        GradientNoise.OverTraining(initial, training,
            new TrainingOptions { LearningRate = learningRate, BatchSize = batchSize, Steps = steps, Seed = seed },
            checkpoints, smallBatch, bigBatch, draws, seed + 1);
}
