using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Tuning;

/// <summary>Settings of <see cref="BudgetedRates.Suggest"/>.</summary>
public sealed record BudgetedRateOptions
{
    /// <summary>The training budget the rates are for, in epochs (passes over the training set).</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Batch sizes to suggest a rate for.</summary>
    public IReadOnlyList<int> BatchSizes { get; init; } = [1, 8, 64];

    /// <summary>
    /// The large batch whose best rate anchors the rule: the whole training set when it is at most this many samples
    /// (then its gradient is exact), otherwise this many.
    /// </summary>
    public int AnchorBatchSize { get; init; } = 4096;

    /// <summary>Candidate rates for the anchor batch, tried for the whole budget.</summary>
    public IReadOnlyList<float> AnchorRates { get; init; } = SweepOptions.LogSpaced(1e-3f, 100f, 11);

    /// <summary>
    /// Each batch size's rate from the rule is checked against the rates this factor below and above it, all three
    /// trained for the whole budget, and one that ends with a clearly (2%) lower validation loss replaces it: the rule can
    /// be off by a few times where the noise scale moves a lot during training. 1: the rule's rate as is.
    /// </summary>
    public float CheckFactor { get; init; } = 3.1622777f;

    /// <summary>Seed of the anchor trials and the noise measurement.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Epochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "BudgetedRateOptions.Epochs must be at least 1.");
        }
        if (BatchSizes is null || BatchSizes.Count == 0 || BatchSizes.Any(b => b < 1))
        {
            throw new ArgumentException("BudgetedRateOptions.BatchSizes must hold at least one batch size, each at least 1.", nameof(BatchSizes));
        }
        if (AnchorBatchSize < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(AnchorBatchSize), AnchorBatchSize, "BudgetedRateOptions.AnchorBatchSize must be at least 2.");
        }
        if (!(CheckFactor >= 1f && float.IsFinite(CheckFactor)))
        {
            throw new ArgumentOutOfRangeException(nameof(CheckFactor), CheckFactor, "BudgetedRateOptions.CheckFactor must be finite and at least 1 (1: no check).");
        }
        if (AnchorRates is null || AnchorRates.Count < 2 || AnchorRates.Any(r => !(float.IsFinite(r) && r > 0)))
        {
            throw new ArgumentException("BudgetedRateOptions.AnchorRates must hold at least two positive, finite rates.", nameof(AnchorRates));
        }
    }
}

/// <summary>One batch size's suggested rate.</summary>
/// <param name="BatchSize">The batch size.</param>
/// <param name="LearningRate">The suggested rate: the rule's, unless a checked rate ended clearly lower (<see cref="BudgetedRateOptions.CheckFactor"/>).</param>
/// <param name="RuleLearningRate">The rule's own rate.</param>
public sealed record BudgetedRate(int BatchSize, float LearningRate, float RuleLearningRate);

/// <summary>
/// What <see cref="BudgetedRates.Suggest"/> found: the anchor batch's best rate over the budget, the gradient noise
/// scale after a tenth of the budget at that batch, the largest useful rate both imply, and a rate per batch size.
/// </summary>
public sealed record BudgetedRateResult(int Epochs, int AnchorBatchSize, float AnchorRate, double NoiseScale, double MaximumRate,
    IReadOnlyList<BudgetedRate> Rates, SweepResult AnchorSweep)
{
    /// <summary>The checks of the rule's rates, one sweep per batch size checked (<see cref="BudgetedRateOptions.CheckFactor"/>).</summary>
    public IReadOnlyList<SweepResult> Checks { get; init; } = [];
}

/// <summary>
/// A learning rate per batch size for a given budget, from McCandlish et al. (2018)'s relation between the best
/// rate and the batch size, eps(B) = eps_max / (1 + B_noise (1/B - 1/N)) (with the finite-population term, so the
/// whole training set has no sampling noise). eps_max comes from the best of a few whole-budget trials at one large
/// batch (cheap: a large batch takes few steps), B_noise from the gradient noise scale measured where a tenth of the
/// budget has brought that batch's training. A learning-rate range test cannot give this: its 300-step ramp never
/// sees the noise floor that a long budget at a small batch trains into, so its suggestion barely moves with B.
/// </summary>
public static class BudgetedRates
{
    /// <summary>Suggests a rate per batch size from <paramref name="parameters"/> (not modified).</summary>
    public static BudgetedRateResult Suggest<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> training, Dataset<TModel> validation,
        BudgetedRateOptions options, CancellationToken cancellationToken = default)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int count = training.Count;
        if (options.BatchSizes.Any(b => b > count))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"BudgetedRateOptions.BatchSizes must not exceed the training-set size ({count}).");
        }
        var budget = TrainingBudget.Samples((long)options.Epochs * count);
        // At least two steps for the anchor's curve: a one-epoch budget halves the whole-set anchor.
        int anchor = Math.Min(options.AnchorBatchSize, budget.StepLimit(count) >= 2 ? count : Math.Max(1, count / 2));
        SweepResult sweep = LearningRateSweep.Run(parameters, training, validation, new SweepOptions
        {
            LearningRates = options.AnchorRates,
            BatchSizes = [anchor],
            Budget = budget,
            Rungs = 1,
            Evaluations = Math.Clamp(budget.StepLimit(anchor), 2, 4),
            Seed = options.Seed,
        }, cancellationToken: cancellationToken);
        float anchorRate = sweep.Recommendation.BestLearningRate;

        var trained = new Model<TModel>(parameters);
        Trainer.Train(trained, training, new TrainingOptions
        {
            LearningRate = anchorRate,
            BatchSize = anchor,
            Epochs = Math.Max(1, options.Epochs / 10),
            Seed = options.Seed,
        }, cancellationToken: cancellationToken);
        double noiseScale = NoiseScale(trained.Parameters, training, anchor, options.Seed);

        double maximum = anchorRate * (1 + noiseScale * SamplingNoise(anchor, count));
        var rates = new List<BudgetedRate>();
        var checks = new List<SweepResult>();
        foreach (int batch in options.BatchSizes)
        {
            float rule = (float)(maximum / (1 + noiseScale * SamplingNoise(batch, count)));
            SweepResult? check = Check(parameters, training, validation, options, batch, rule, cancellationToken);
            rates.Add(new BudgetedRate(batch, check is null ? rule : Checked(check, rule), rule));
            if (check is not null)
            {
                checks.Add(check);
            }
        }
        return new BudgetedRateResult(options.Epochs, anchor, anchorRate, noiseScale, maximum, rates, sweep) { Checks = checks };
    }

    /// <summary>Relative loss an alternative must gain over the rule's rate to replace it: near a flat optimum one seed's difference is noise.</summary>
    internal const float CheckMargin = 0.02f;

    /// <summary>The rule's rate unless another of the check did clearly better (or the rule's diverged).</summary>
    private static float Checked(SweepResult check, float rule)
    {
        static float Loss(TrialResult t) => t.Status == TrialStatus.Diverged || t.RolledBack || !float.IsFinite(t.FinalValidationLoss) ? float.PositiveInfinity : t.FinalValidationLoss;
        TrialResult own = check.Trials.Single(t => t.LearningRate == rule);
        TrialResult best = check.Trials.MinBy(Loss)!;
        bool clearlyBetter = float.IsFinite(Loss(best)) && Loss(best) < Loss(own) * (1 - CheckMargin);
        return clearlyBetter ? best.LearningRate : rule;
    }

    /// <summary>The rule's rate and the rates <see cref="BudgetedRateOptions.CheckFactor"/> below and above it, each for the whole budget; null without a check.</summary>
    private static SweepResult? Check<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> training, Dataset<TModel> validation,
        BudgetedRateOptions options, int batch, float rule, CancellationToken cancellationToken)
        where TModel : ISgdModel<TModel>
    {
        var budget = TrainingBudget.Samples((long)options.Epochs * training.Count);
        float factor = options.CheckFactor;
        if (factor <= 1f || budget.StepLimit(batch) < 2 || !float.IsFinite(rule * factor) || !(rule / factor > 0))
        {
            return null;
        }
        return LearningRateSweep.Run(parameters, training, validation, new SweepOptions
        {
            LearningRates = [rule / factor, rule, rule * factor],
            BatchSizes = [batch],
            Budget = budget,
            Rungs = 1,
            Evaluations = Math.Min(4, budget.StepLimit(batch)),
            Seed = options.Seed,
        }, cancellationToken: cancellationToken);
    }

    /// <summary>1/B - 1/N: how much sampling noise a batch of B out of N carries relative to one sample (0 for the whole set).</summary>
    internal static double SamplingNoise(int batch, int count) => 1.0 / batch - 1.0 / count;

    /// <summary>
    /// B_simple = tr(Sigma) / |G|^2 from per-example gradient norms: exact with the whole set as the batch (one draw),
    /// otherwise the unbiased estimator over several draws. Not resolved (|G|^2 lost in its noise): the training set size, i.e. "noise dominates".
    /// </summary>
    private static double NoiseScale<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> training, int anchor, ulong seed)
        where TModel : ISgdModel<TModel>
    {
        int count = training.Count;
        if (anchor == count)
        {
            NoiseScaleEstimate exact = GradientNoise.EstimateNoiseScaleFromPerExampleNorms(parameters, training, count, draws: 1, seed);
            return exact.GradientSquaredNorm > 0 && exact.TraceSigma > 0 ? exact.TraceSigma / exact.GradientSquaredNorm : count;
        }
        NoiseScaleEstimate estimate = GradientNoise.EstimateNoiseScaleFromPerExampleNorms(parameters, training, anchor, draws: 20, seed);
        return estimate.IsResolved ? estimate.NoiseScale : count;
    }
}
