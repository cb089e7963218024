using System.Globalization;
using System.Text.Json.Serialization;

namespace HpcSgd.Tuning;

/// <summary>Which share of a sweep's trials a process runs: trial i belongs to shard i mod <paramref name="Count"/>.</summary>
/// <param name="Index">This process's shard, 0-based.</param>
/// <param name="Count">How many processes share the sweep.</param>
public readonly record struct SweepShard(int Index, int Count)
{
    /// <summary>True when trial <paramref name="trial"/> is this shard's to run.</summary>
    public bool Owns(int trial) => trial % Count == Index;

    /// <summary>"2/8": shard 2 of 8 (0-based index).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}

/// <summary>One trial at the end of one rung, as the journal keeps it: enough to skip that rung on a resumed run.</summary>
/// <param name="Rung">The rung the trial finished (0-based); the finalists' round (<see cref="SweepOptions.Finalists"/>) is one past the last, the refinement two.</param>
/// <param name="Trial">The trial's result as of that rung.</param>
/// <param name="LastValidationLoss">Its latest validation loss (the rung's promotion key; also the loss that ended a diverged trial).</param>
/// <param name="Continues">True when a checkpoint of its session was saved for the next rung.</param>
public sealed record SweepJournalEntry(int Rung, TrialResult Trial, float LastValidationLoss, bool Continues);

/// <summary>The journal's first line: what the sweep is (so a journal is only resumed or merged with its own sweep).</summary>
/// <param name="Version">Format version.</param>
/// <param name="Model">The model's name.</param>
/// <param name="Signature">"Name=value" lines: the model's shape, the data and initial parameters' hashes, every option that steers a trial.</param>
/// <param name="InitialValidationLoss">Validation loss of the shared initial parameters.</param>
/// <param name="ChanceAccuracy">For classifiers, the accuracy of the most common class.</param>
/// <param name="Options">The grid, budget and rules, to rebuild the report without the model or data.</param>
public sealed record SweepJournalHeader(int Version, string Model, IReadOnlyList<string> Signature, float InitialValidationLoss, double? ChanceAccuracy,
    SweepJournalOptions Options);

/// <summary>The options of a journaled sweep as plain values.</summary>
public sealed record SweepJournalOptions(IReadOnlyList<float> LearningRates, IReadOnlyList<int> BatchSizes, BudgetKind BudgetKind, long BudgetAmount,
    int Evaluations, int Rungs, int ReductionFactor, ulong Seed, float Momentum, float WeightDecay, float DivergenceFactor, int RollBacks,
    CurveLabelRules LabelRules, int Finalists = 0, int FinalistSeeds = 2, bool RefineRate = false)
{
    /// <summary>The plain values of <paramref name="o"/>.</summary>
    public static SweepJournalOptions From(SweepOptions o) => new([.. o.LearningRates], [.. o.BatchSizes], o.Budget.Kind, o.Budget.Amount, o.Evaluations,
        o.Rungs, o.ReductionFactor, o.Seed, o.Momentum, o.WeightDecay, o.DivergenceFactor, o.RollBacks, o.LabelRules, o.Finalists, o.FinalistSeeds, o.RefineRate);

    /// <summary>The options again (threads, journal and shard left at their defaults).</summary>
    public SweepOptions ToOptions() => new()
    {
        LearningRates = LearningRates,
        BatchSizes = BatchSizes,
        Budget = BudgetKind switch
        {
            BudgetKind.Samples => TrainingBudget.Samples(BudgetAmount),
            BudgetKind.Steps => TrainingBudget.Steps(checked((int)BudgetAmount)),
            _ => TrainingBudget.WallTime(TimeSpan.FromTicks(BudgetAmount)),
        },
        Evaluations = Evaluations,
        Rungs = Rungs,
        ReductionFactor = ReductionFactor,
        Seed = Seed,
        Momentum = Momentum,
        WeightDecay = WeightDecay,
        DivergenceFactor = DivergenceFactor,
        RollBacks = RollBacks,
        LabelRules = LabelRules,
        Finalists = Finalists,
        FinalistSeeds = FinalistSeeds,
        RefineRate = RefineRate,
    };
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(SweepJournalHeader))]
[JsonSerializable(typeof(SweepJournalEntry))]
internal sealed partial class JournalJson : JsonSerializerContext;
