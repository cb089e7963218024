using System.Globalization;

namespace HpcSgd.Tuning;

/// <summary>
/// A learning-rate x batch-size sweep: the grid, the budget of each trial, how often the validation loss is
/// measured, the successive-halving rungs and the threads. <see cref="Validate"/> names the first bad option.
/// </summary>
public sealed record SweepOptions
{
    /// <summary>The learning rates of the grid (see <see cref="LogSpaced"/>); positive and finite.</summary>
    public IReadOnlyList<float> LearningRates { get; init; } = [];

    /// <summary>The batch sizes of the grid; from 1 to the training-set size.</summary>
    public IReadOnlyList<int> BatchSizes { get; init; } = [];

    /// <summary>How long each trial trains if it is not stopped; samples seen is the fair comparison across batch sizes.</summary>
    public TrainingBudget Budget { get; init; }

    /// <summary>Validation-loss measurements per trial, evenly spread over the budget (the loss curve's points).</summary>
    public int Evaluations { get; init; } = 20;

    /// <summary>
    /// Successive-halving rungs: after 1/eta^(Rungs-1), ..., 1/eta of the budget only the best 1/eta of the running
    /// trials (by validation loss) go on. 1 trains every trial to the end.
    /// </summary>
    public int Rungs { get; init; } = 3;

    /// <summary>The eta of successive halving: the fraction 1/eta of trials kept at each rung, and the budget ratio between rungs.</summary>
    public int ReductionFactor { get; init; } = 3;

    /// <summary>Trials run at once, one per thread; results do not depend on it.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Seed of the sampling; trial i samples with a seed derived from this and i.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Momentum of every trial (0: plain SGD).</summary>
    public float Momentum { get; init; }

    /// <summary>L2 weight decay of every trial.</summary>
    public float WeightDecay { get; init; }

    /// <summary>
    /// A trial diverges when a step's loss is not finite or exceeds this factor times its first loss, or when its
    /// validation loss exceeds this factor times the initial validation loss.
    /// </summary>
    public float DivergenceFactor { get; init; } = 100f;

    /// <summary>
    /// How many times a diverging trial goes back to its last evaluation (its parameters there) with the rate halved,
    /// instead of ending (0, the default: it ends). A trial that rolled back is reported with where it happened and
    /// counts as diverged at its own rate in the recommendation.
    /// </summary>
    public int RollBacks { get; init; }

    /// <summary>
    /// After the last rung, the best this many trials (by final validation loss) are trained again for the whole budget
    /// from <see cref="FinalistSeeds"/> more seeds each, and the recommendation goes to the pair with the lowest mean
    /// over its seeds: one seed's validation loss on a small validation set can rank a lucky draw first. 0 (the
    /// default): the recommendation is the best single trial. Costs Finalists x FinalistSeeds whole-budget trials.
    /// </summary>
    public int Finalists { get; init; }

    /// <summary>More seeds per finalist (<see cref="Finalists"/>), besides the trial's own.</summary>
    public int FinalistSeeds { get; init; } = 2;

    /// <summary>
    /// After the finalists' round, the best mean's batch size is also trained at the rates half a grid step either side
    /// of its rate (geometric midpoints to its neighbours), from FinalistSeeds + 1 seeds each, and the best mean of all is
    /// recommended: a grid a factor 3 apart can straddle the budget's best rate. Needs <see cref="Finalists"/>.
    /// </summary>
    public bool RefineRate { get; init; }

    /// <summary>What separates converged, still improving and oscillating loss curves.</summary>
    public CurveLabelRules LabelRules { get; init; } = new();

    /// <summary>
    /// A folder for the sweep's journal (<see cref="SweepJournal"/>): every trial's result at every rung is appended
    /// and flushed as it finishes, with a checkpoint of each trial that goes on, so a sweep run again with the same
    /// folder, options and data redoes nothing that was journaled (a journal of another sweep is refused). Null: none.
    /// </summary>
    public string? JournalFolder { get; init; }

    /// <summary>
    /// Runs only this shard's trials (trial i is shard i mod Count's), journaling them in <see cref="JournalFolder"/>;
    /// the other shards' results are read from the journals there. A shard that needs results other shards have not
    /// journaled yet (every rung waits for all trials) throws <see cref="SweepShardPendingException"/>; run it again
    /// when they have, or merge the journals (<see cref="LearningRateSweep.Merge"/>). Null: every trial.
    /// </summary>
    public SweepShard? Shard { get; init; }

    /// <summary><paramref name="count"/> learning rates spaced evenly on a log scale from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static float[] LogSpaced(float from, float to, int count)
    {
        if (!(float.IsFinite(from) && float.IsFinite(to) && from > 0f && to > from))
        {
            throw new ArgumentOutOfRangeException(nameof(to), to, FormattableString.Invariant($"A log-spaced range needs 0 < from < to (got {from} to {to})."));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        var values = new float[count];
        double step = Math.Log(to / (double)from) / (count - 1);
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(from * Math.Exp(step * i));
        }
        values[^1] = to;
        return values;
    }

    /// <summary>The budget fractions at which the validation loss is measured: evenly spread, plus the rungs.</summary>
    internal double[] EvaluationFractions()
    {
        var fractions = new SortedSet<double>();
        for (int k = 1; k <= Evaluations; k++)
        {
            fractions.Add(Math.Round((double)k / Evaluations, 12));
        }
        foreach (double rung in RungFractions())
        {
            fractions.Add(Math.Round(rung, 12));
        }
        return [.. fractions];
    }

    /// <summary>The budget fractions of the rungs, the last being 1.</summary>
    internal double[] RungFractions()
    {
        var rungs = new double[Rungs];
        for (int r = 0; r < Rungs; r++)
        {
            rungs[r] = Math.Pow(ReductionFactor, -(Rungs - 1 - r));
        }
        return rungs;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that is invalid for <paramref name="trainingSamples"/> samples.</summary>
    public void Validate(int trainingSamples)
    {
        if (LearningRates is null || LearningRates.Count == 0)
        {
            throw new ArgumentException("SweepOptions.LearningRates is empty; give at least one learning rate.", nameof(LearningRates));
        }
        for (int i = 0; i < LearningRates.Count; i++)
        {
            if (!(float.IsFinite(LearningRates[i]) && LearningRates[i] > 0f))
            {
                throw new ArgumentException(FormattableString.Invariant($"SweepOptions.LearningRates[{i}] is {LearningRates[i]}; learning rates must be finite and greater than 0."), nameof(LearningRates));
            }
        }
        if (RollBacks < 0)
        {
            throw new ArgumentException(FormattableString.Invariant($"SweepOptions.RollBacks is {RollBacks}; it must be at least 0."), nameof(RollBacks));
        }
        if (BatchSizes is null || BatchSizes.Count == 0)
        {
            throw new ArgumentException("SweepOptions.BatchSizes is empty; give at least one batch size.", nameof(BatchSizes));
        }
        for (int i = 0; i < BatchSizes.Count; i++)
        {
            if (BatchSizes[i] < 1 || BatchSizes[i] > trainingSamples)
            {
                throw new ArgumentException(FormattableString.Invariant($"SweepOptions.BatchSizes[{i}] is {BatchSizes[i]}; batch sizes must be from 1 to the training-set size ({trainingSamples})."), nameof(BatchSizes));
            }
        }
        if (LearningRates.Distinct().Count() != LearningRates.Count || BatchSizes.Distinct().Count() != BatchSizes.Count)
        {
            throw new ArgumentException("SweepOptions: the grid repeats a learning rate or a batch size.", nameof(LearningRates));
        }
        if (Budget.IsEmpty)
        {
            throw new ArgumentException("SweepOptions.Budget is not set; use TrainingBudget.Samples, Steps or WallTime.", nameof(Budget));
        }
        Check(Evaluations >= 2, nameof(Evaluations), Evaluations, "must be at least 2");
        Check(Rungs >= 1, nameof(Rungs), Rungs, "must be at least 1");
        Check(ReductionFactor >= 2, nameof(ReductionFactor), ReductionFactor, "must be at least 2");
        Check(Threads >= 1, nameof(Threads), Threads, "must be at least 1");
        Check(float.IsFinite(Momentum) && Momentum >= 0f && Momentum < 1f, nameof(Momentum), Momentum, "must be in [0, 1)");
        Check(float.IsFinite(WeightDecay) && WeightDecay >= 0f, nameof(WeightDecay), WeightDecay, "must be finite and at least 0");
        Check(DivergenceFactor > 1f, nameof(DivergenceFactor), DivergenceFactor, "must be greater than 1");
        Check(Finalists >= 0, nameof(Finalists), Finalists, "must be at least 0");
        Check(FinalistSeeds >= 1, nameof(FinalistSeeds), FinalistSeeds, "must be at least 1");
        Check((long)Finalists * FinalistSeeds <= 10_000, nameof(Finalists), Finalists, "times FinalistSeeds must be at most 10,000");
        Check(!RefineRate || Finalists > 0, nameof(RefineRate), RefineRate, "needs Finalists above 0 (the refinement is around the best finalist)");
        if (Shard is { } shard)
        {
            Check(shard.Count >= 1 && shard.Index >= 0 && shard.Index < shard.Count, nameof(Shard), shard, "must name a shard from 0 to Count - 1 of Count >= 1");
            Check(JournalFolder is not null, nameof(Shard), shard, "needs a JournalFolder, where the shards' results meet");
        }
        if (Budget.Kind != BudgetKind.WallTime)
        {
            int smallestSteps = BatchSizes.Min(b => Budget.StepLimit(b));
            Check(smallestSteps >= Evaluations, nameof(Budget), Budget,
                FormattableString.Invariant($"gives the largest batch only {smallestSteps} steps, fewer than the {Evaluations} evaluations; raise the budget or lower Evaluations"));
        }
    }

    private static void Check(bool valid, string option, object value, string rule)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(option, value, string.Create(CultureInfo.InvariantCulture, $"SweepOptions.{option} is {value}; it {rule}."));
        }
    }
}
