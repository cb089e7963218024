namespace HpcSgd.Tuning;

/// <summary>How a trial ended.</summary>
public enum TrialStatus
{
    /// <summary>Trained to the end of the budget.</summary>
    Completed = 0,

    /// <summary>Stopped at a successive-halving rung: other trials had a lower validation loss there.</summary>
    Stopped = 1,

    /// <summary>The loss became non-finite or exploded; the trial stopped at once.</summary>
    Diverged = 2,
}

/// <summary>What a trial's loss curve says about its learning rate.</summary>
public enum TrialLabel
{
    /// <summary>The loss has levelled off.</summary>
    Converged = 0,

    /// <summary>The loss was still falling when the trial ended: the learning rate is too small for the budget.</summary>
    StillImproving = 1,

    /// <summary>The loss jumps around without progress, or rose well above its best: the learning rate is too large to settle.</summary>
    Oscillating = 2,

    /// <summary>The loss blew up.</summary>
    Diverged = 3,

    /// <summary>
    /// The loss stopped falling barely below where it started (e.g. ReLU units killed by a too-large first step, or
    /// a learning rate so small nothing moves): neither converged nor still improving.
    /// </summary>
    Stalled = 4,
}

/// <summary>One measurement on a trial's loss curve.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="SamplesSeen">Samples drawn.</param>
/// <param name="Seconds">Wall time spent in training steps so far (validation measurements excluded).</param>
/// <param name="TrainingLoss">Mean mini-batch loss of the steps since the previous point (the initial validation loss at step 0).</param>
/// <param name="ValidationLoss">Mean loss on the validation set.</param>
public readonly record struct CurvePoint(int Step, long SamplesSeen, double Seconds, float TrainingLoss, float ValidationLoss);

/// <summary>One trial of a sweep: a learning rate and a batch size, trained from the shared initial parameters.</summary>
/// <param name="Index">Position in the grid: learning-rate index x batch-size count + batch-size index.</param>
/// <param name="LearningRate">The constant learning rate.</param>
/// <param name="BatchSize">Samples per step.</param>
/// <param name="Seed">Seed of this trial's batch sampling.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Label">What its curve says.</param>
/// <param name="RungReached">Successive-halving rungs passed (0-based index of the last rung it finished; -1 if it diverged before the first).</param>
/// <param name="FinalValidationLoss">Validation loss at its last measurement (NaN when diverged).</param>
/// <param name="BestValidationLoss">Lowest validation loss measured.</param>
/// <param name="FinalAccuracy">Validation accuracy at the end, for classifiers; null for regression or when diverged.</param>
/// <param name="Steps">Updates applied.</param>
/// <param name="SamplesSeen">Samples drawn.</param>
/// <param name="WallSeconds">Wall time spent training (evaluations included).</param>
/// <param name="Curve">The validation-loss curve, starting with the initial parameters at step 0.</param>
/// <param name="RollBacks">Where the trial diverged and went back to its last evaluation with the rate halved (<see cref="SweepOptions.RollBacks"/>); empty or null if never.</param>
public sealed record TrialResult(
    int Index,
    float LearningRate,
    int BatchSize,
    ulong Seed,
    TrialStatus Status,
    TrialLabel Label,
    int RungReached,
    float FinalValidationLoss,
    float BestValidationLoss,
    double? FinalAccuracy,
    int Steps,
    long SamplesSeen,
    double WallSeconds,
    IReadOnlyList<CurvePoint> Curve,
    IReadOnlyList<HpcSgd.Training.RollBackEvent>? RollBacks = null)
{
    /// <summary>True when the trial's own learning rate diverged and it went on at a lower one.</summary>
    public bool RolledBack => RollBacks is { Count: > 0 };
}
