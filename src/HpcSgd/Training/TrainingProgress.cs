namespace HpcSgd.Training;

/// <summary>A progress report, passed by value to <see cref="TrainingOptions.Progress"/>; creating one allocates nothing.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="Epoch">Epochs completed, fractional: samples seen / training-set size.</param>
/// <param name="Loss">Mean training loss of the last step's batch.</param>
/// <param name="ValidationLoss">Mean loss on the validation set, or NaN when none was given.</param>
/// <param name="LearningRate">The learning rate used by the last step.</param>
/// <param name="NoiseScale">The gradient noise scale B_simple measured over the recent steps (<see cref="TrainingOptions.TrackNoiseScale"/>), or NaN when not tracked or not yet resolved.</param>
public readonly record struct TrainingProgress(int Step, double Epoch, float Loss, float ValidationLoss, float LearningRate, double NoiseScale = double.NaN)
{
    /// <summary>True when a validation set was given.</summary>
    public bool HasValidationLoss => !float.IsNaN(ValidationLoss);
}

/// <summary>How training ended.</summary>
public enum TrainingStatus
{
    /// <summary>The step budget was spent.</summary>
    Completed = 0,

    /// <summary>The loss became non-finite or exploded; <see cref="TrainingResult.DivergedAtStep"/> says when.</summary>
    Diverged = 1,

    /// <summary>The cancellation token was signalled.</summary>
    Cancelled = 2,
}

/// <summary>The outcome of <see cref="Trainer.Train{TModel}"/>.</summary>
/// <param name="Status">How training ended.</param>
/// <param name="Steps">Steps completed (updates applied).</param>
/// <param name="Epochs">Samples seen / training-set size.</param>
/// <param name="FinalLoss">Mean training loss of the last step's batch (the offending value when diverged).</param>
/// <param name="ValidationLoss">Validation loss after the last step, or NaN when no validation set was given or training diverged.</param>
/// <param name="DivergedAtStep">The 1-based step whose loss diverged, or after which a parameter or the final loss was found NaN or infinite; null if training did not diverge.</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record TrainingResult(TrainingStatus Status, int Steps, double Epochs, float FinalLoss, float ValidationLoss, int? DivergedAtStep, TimeSpan Elapsed);

/// <summary>One recovery from divergence.</summary>
/// <param name="Step">The step whose loss diverged (1-based, as <see cref="TrainingSession{TModel}.StepsDone"/> would have counted it), or the step after which a parameter was found NaN or infinite.</param>
/// <param name="Loss">Its batch loss (NaN when a parameter was not finite).</param>
/// <param name="RestoredStep">The step whose parameters training went back to (0: the start).</param>
/// <param name="LearningRate">The base learning rate from then on (before any schedule).</param>
public readonly record struct RollBackEvent(int Step, float Loss, int RestoredStep, float LearningRate);
