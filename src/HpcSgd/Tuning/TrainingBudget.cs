using System.Globalization;

namespace HpcSgd.Tuning;

/// <summary>What a trial's budget counts.</summary>
public enum BudgetKind
{
    /// <summary>Samples drawn: the fair budget across batch sizes (a larger batch gets fewer, less noisy steps).</summary>
    Samples = 0,

    /// <summary>Updates, whatever the batch size.</summary>
    Steps = 1,

    /// <summary>Wall time per trial. Not reproducible: how far a trial gets depends on the machine and its load.</summary>
    WallTime = 2,
}

/// <summary>How long each trial of an experiment trains: a number of samples, of steps, or a wall time.</summary>
public readonly record struct TrainingBudget
{
    private TrainingBudget(BudgetKind kind, long amount)
    {
        Kind = kind;
        Amount = amount;
    }

    /// <summary>What is counted.</summary>
    public BudgetKind Kind { get; }

    /// <summary>Samples, steps, or (for <see cref="BudgetKind.WallTime"/>) ticks of <see cref="TimeSpan"/>.</summary>
    public long Amount { get; }

    /// <summary>A budget of <paramref name="samples"/> samples drawn per trial.</summary>
    public static TrainingBudget Samples(long samples)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        return new(BudgetKind.Samples, samples);
    }

    /// <summary>A budget of <paramref name="steps"/> updates per trial.</summary>
    public static TrainingBudget Steps(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        return new(BudgetKind.Steps, steps);
    }

    /// <summary>A budget of <paramref name="duration"/> of training per trial.</summary>
    public static TrainingBudget WallTime(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        return new(BudgetKind.WallTime, duration.Ticks);
    }

    /// <summary>True for the default value, which is no budget at all.</summary>
    public bool IsEmpty => Amount == 0;

    /// <summary>The most steps a trial at <paramref name="batchSize"/> may take (a wall-time budget is stopped by the clock).</summary>
    public int StepLimit(int batchSize) => Kind switch
    {
        BudgetKind.Samples => (int)Math.Min(int.MaxValue / 2, (Amount + batchSize - 1) / batchSize),
        BudgetKind.Steps => (int)Amount,
        _ => int.MaxValue / 2,
    };

    /// <summary>The fraction of the budget spent after <paramref name="steps"/> steps of <paramref name="stepLimit"/> and <paramref name="elapsed"/>.</summary>
    internal double Spent(int steps, int stepLimit, TimeSpan elapsed) =>
        Kind == BudgetKind.WallTime ? (double)elapsed.Ticks / Amount : (double)steps / stepLimit;

    /// <summary>E.g. "10,000 samples", "500 steps", "2 s".</summary>
    public override string ToString() => Kind switch
    {
        BudgetKind.Samples => Amount.ToString("N0", CultureInfo.InvariantCulture) + " samples",
        BudgetKind.Steps => Amount.ToString("N0", CultureInfo.InvariantCulture) + " steps",
        _ => TimeSpan.FromTicks(Amount).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s",
    };
}
