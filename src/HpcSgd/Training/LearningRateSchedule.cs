using System.Runtime.CompilerServices;
namespace HpcSgd.Training;

/// <summary>How the learning rate changes over training; the rate at a step is the base rate times <see cref="Multiplier"/>.</summary>
public readonly record struct LearningRateSchedule
{
    private LearningRateSchedule(ScheduleKind kind, int stepSize, float factor)
    {
        Kind = kind;
        StepSize = stepSize;
        Factor = factor;
    }

    /// <summary>The kind of schedule.</summary>
    public ScheduleKind Kind { get; }

    /// <summary>For <see cref="ScheduleKind.StepDecay"/>: steps between decays.</summary>
    public int StepSize { get; }

    /// <summary>For <see cref="ScheduleKind.StepDecay"/>: the multiplier per decay; for <see cref="ScheduleKind.Cosine"/>: the final fraction of the base rate; for <see cref="ScheduleKind.Exponential"/>: the last rate over the first.</summary>
    public float Factor { get; }

    /// <summary>The base rate throughout.</summary>
    public static LearningRateSchedule Constant => default;

    /// <summary>The base rate times <paramref name="factor"/>^(floor(step / <paramref name="everySteps"/>)).</summary>
    public static LearningRateSchedule StepDecay(int everySteps, float factor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(everySteps);
        if (!(factor > 0f && factor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The decay factor must be in (0, 1].");
        }
        return new(ScheduleKind.StepDecay, everySteps, factor);
    }

    /// <summary>Cosine annealing from the base rate down to <paramref name="finalFraction"/> of it at the last step.</summary>
    public static LearningRateSchedule Cosine(float finalFraction = 0f)
    {
        if (!(finalFraction >= 0f && finalFraction <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(finalFraction), finalFraction, "The final fraction must be in [0, 1].");
        }
        return new(ScheduleKind.Cosine, 0, finalFraction);
    }

    /// <summary>
    /// Exponential growth from the base rate at the first step to <paramref name="ratio"/> times it at the last step
    /// (the learning-rate range test's sweep; a ratio below 1 decays).
    /// </summary>
    public static LearningRateSchedule Exponential(float ratio)
    {
        if (!(float.IsFinite(ratio) && ratio > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The ratio of the last to the first learning rate must be finite and positive.");
        }
        return new(ScheduleKind.Exponential, 0, ratio);
    }

    /// <summary>
    /// The factor on the base rate at <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>: a linear
    /// warm-up from 1/<paramref name="warmupSteps"/> to 1 over the first <paramref name="warmupSteps"/> steps,
    /// then the schedule, counted from the end of the warm-up.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Multiplier(int step, int totalSteps, int warmupSteps)
    {
        if (step < warmupSteps)
        {
            return (step + 1f) / warmupSteps;
        }
        int t = step - warmupSteps;
        switch (Kind)
        {
            case ScheduleKind.StepDecay:
                return MathF.Pow(Factor, t / StepSize);
            case ScheduleKind.Cosine:
                int span = Math.Max(1, totalSteps - warmupSteps - 1);
                double progress = Math.Min(1.0, (double)t / span);
                return (float)(Factor + (1 - Factor) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
            case ScheduleKind.Exponential:
                int last = Math.Max(1, totalSteps - warmupSteps - 1);
                return (float)Math.Pow(Factor, Math.Min(1.0, (double)t / last));
            default:
                return 1f;
        }
    }
}

/// <summary>The shape of a <see cref="LearningRateSchedule"/>.</summary>
public enum ScheduleKind
{
    /// <summary>The base rate throughout.</summary>
    Constant = 0,

    /// <summary>Multiplied by a factor every fixed number of steps.</summary>
    StepDecay = 1,

    /// <summary>Cosine annealing to a final fraction.</summary>
    Cosine = 2,

    /// <summary>Exponential growth (or decay) by a fixed ratio over the run.</summary>
    Exponential = 3,
}
