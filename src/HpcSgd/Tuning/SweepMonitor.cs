namespace HpcSgd.Tuning;

/// <summary>A snapshot of a running sweep, for a progress display.</summary>
/// <param name="Total">Trials in the grid.</param>
/// <param name="Done">Trials finished (completed, stopped or diverged).</param>
/// <param name="Running">Trials training right now.</param>
/// <param name="Diverged">Trials that diverged.</param>
/// <param name="Stopped">Trials stopped at a rung.</param>
/// <param name="Rung">The rung being run (0-based).</param>
/// <param name="BestLoss">Lowest validation loss measured so far at the current rung, or NaN.</param>
/// <param name="BestLearningRate">Its learning rate.</param>
/// <param name="BestBatchSize">Its batch size.</param>
/// <param name="FinalRound">The final rounds are running (<see cref="SweepOptions.Finalists"/>).</param>
public readonly record struct SweepProgress(int Total, int Done, int Running, int Diverged, int Stopped, int Rung,
    float BestLoss, float BestLearningRate, int BestBatchSize, bool FinalRound = false);

/// <summary>
/// Live counts of a sweep, written by the trial threads and read by any other thread (a progress display polls
/// <see cref="Snapshot"/>). Updates happen per trial phase, never per step.
/// </summary>
public sealed class SweepMonitor
{
#if NET9_0_OR_GREATER
    private readonly Lock gate = new();
#else
    private readonly object gate = new();
#endif
    private SweepProgress state;

    /// <summary>The current counts.</summary>
    public SweepProgress Snapshot()
    {
        lock (gate)
        {
            return state;
        }
    }

    internal void Start(int total) => Set(s => s with { Total = total, BestLoss = float.NaN });

    internal void StartRung(int rung) => Set(s => s with { Rung = rung });

    internal void StartFinalRound(int trials) => Set(s => s with { Total = s.Total + trials, FinalRound = true, BestLoss = float.NaN });

    internal void TrialStarted() => Set(s => s with { Running = s.Running + 1 });

    /// <summary>Called after each trial's phase with true when it trained (false: restored from a journal); tests interrupt sweeps with it.</summary>
    internal Action<bool>? AfterTrialPaused { get; set; }

    internal void TrialPaused(float loss, float learningRate, int batchSize, TrialStatus? ended, bool trained = true)
    {
        try
        {
            Count(loss, learningRate, batchSize, ended);
        }
        finally
        {
            AfterTrialPaused?.Invoke(trained);
        }
    }

    private void Count(float loss, float learningRate, int batchSize, TrialStatus? ended)
    {
        lock (gate)
        {
            SweepProgress s = state;
            s = s with { Running = s.Running - 1 };
            if (ended is TrialStatus.Diverged)
            {
                s = s with { Done = s.Done + 1, Diverged = s.Diverged + 1 };
            }
            else if (ended is TrialStatus.Completed)
            {
                s = s with { Done = s.Done + 1 };
            }
            if (float.IsFinite(loss) && !(loss >= s.BestLoss))
            {
                s = s with { BestLoss = loss, BestLearningRate = learningRate, BestBatchSize = batchSize };
            }
            state = s;
        }
    }

    internal void TrialsStopped(int count) => Set(s => s with { Done = s.Done + count, Stopped = s.Stopped + count });

    private void Set(Func<SweepProgress, SweepProgress> change)
    {
        lock (gate)
        {
            state = change(state);
        }
    }
}
