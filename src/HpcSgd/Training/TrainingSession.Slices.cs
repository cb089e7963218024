using System.Diagnostics;

namespace HpcSgd.Training;

/// <summary>What one <see cref="TrainingSession{TModel}.TrainFor"/> call did.</summary>
/// <param name="Steps">Steps run in this slice.</param>
/// <param name="MeanLoss">Mean of the steps' batch losses (NaN when no step ran).</param>
/// <param name="LastLoss">The last step's batch loss (the session's <see cref="TrainingSession{TModel}.LastLoss"/>).</param>
/// <param name="Elapsed">Time the slice took.</param>
/// <param name="Ended">True when no further step will run: the step budget is spent or the loss diverged.</param>
public readonly record struct TrainingSlice(int Steps, float MeanLoss, float LastLoss, TimeSpan Elapsed, bool Ended);

public sealed partial class TrainingSession<TModel>
{
    // The expected duration of the next step, in Stopwatch ticks: an average that follows a slower step at once and
    // a faster one gradually, so that one fast step does not invite an overrun.
    private long stepTicksEstimate;

    /// <summary>
    /// Runs steps for at most <paramref name="budget"/> (and at most <paramref name="maxSteps"/>), for a game or UI
    /// loop that trains a little every frame: a step starts only when the time left holds the expected step, so the
    /// slice ends within the budget unless one step is longer than the whole budget (the first step of a slice always
    /// runs when the budget is positive). Allocates nothing. Checkpoints are taken as in <see cref="Run"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative budget or a step limit below 1.</exception>
    public TrainingSlice TrainFor(TimeSpan budget, int maxSteps = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSteps, 1);
        long start = Stopwatch.GetTimestamp();
        long limit = budget >= TimeSpan.FromDays(1) ? long.MaxValue : (long)(budget.TotalSeconds * Stopwatch.Frequency);
        int steps = 0;
        double lossSum = 0;
        bool ended = false;
        long now = start;
        while (steps < maxSteps && limit > 0 && (steps == 0 || now - start + stepTicksEstimate <= limit))
        {
            if (!Step())
            {
                ended = true;
                break;
            }
            steps++;
            lossSum += LastLoss;
            CheckpointIfDue(force: false);
            long after = Stopwatch.GetTimestamp();
            long took = after - now;
            stepTicksEstimate = took >= stepTicksEstimate ? took : stepTicksEstimate - (stepTicksEstimate - took) / 8;
            now = after;
        }
        ended |= Diverged || StepsDone >= TotalSteps;
        return new TrainingSlice(steps, steps == 0 ? float.NaN : (float)(lossSum / steps), LastLoss, Stopwatch.GetElapsedTime(start), ended);
    }

    /// <summary>Runs <paramref name="steps"/> steps (fewer when the budget is spent or the loss diverges): <see cref="TrainFor"/> without a time limit.</summary>
    public TrainingSlice TrainSteps(int steps) => TrainFor(TimeSpan.MaxValue, steps);
}
