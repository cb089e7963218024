using System.Runtime.CompilerServices;
using HpcSgd.Kernels;

namespace HpcSgd.Training;

/// <summary>
/// Hyper-parameters of a mini-batch SGD run. Set <see cref="LearningRate"/>, <see cref="BatchSize"/> and
/// exactly one budget (<see cref="Epochs"/> or <see cref="Steps"/>); the rest have defaults.
/// <see cref="Validate"/> runs before the first step and names the offending option.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Base learning rate; finite and positive.</summary>
    public float LearningRate { get; init; }

    /// <summary>Samples per step; from 1 to the training-set size.</summary>
    public int BatchSize { get; init; }

    /// <summary>Budget in passes over the training set (set this or <see cref="Steps"/>).</summary>
    public int? Epochs { get; init; }

    /// <summary>Budget in updates (set this or <see cref="Epochs"/>).</summary>
    public int? Steps { get; init; }

    /// <summary>Seed of the batch sampling; the same seed, data and options reproduce a run bit for bit.</summary>
    public ulong Seed { get; init; }

    /// <summary>How batches are drawn.</summary>
    public BatchSampling Sampling { get; init; } = BatchSampling.ShuffledEpochs;

    /// <summary>With <see cref="BatchSampling.ShuffledEpochs"/>: skip each epoch's final, smaller batch.</summary>
    public bool DropLastPartialBatch { get; init; }

    /// <summary>Momentum mu in [0, 1); 0 is plain SGD.</summary>
    public float Momentum { get; init; }

    /// <summary>Use Nesterov momentum (needs <see cref="Momentum"/> &gt; 0).</summary>
    public bool Nesterov { get; init; }

    /// <summary>L2 weight decay, added to the gradient as decay * parameter; finite and non-negative.</summary>
    public float WeightDecay { get; init; }

    /// <summary>The learning-rate schedule after warm-up.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Steps of linear warm-up before the schedule; 0 for none.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Called every <see cref="ProgressInterval"/> steps and after the last step; must not throw.</summary>
    public Action<TrainingProgress>? Progress { get; init; }

    /// <summary>Steps between progress reports (and validation-loss evaluations).</summary>
    public int ProgressInterval { get; init; } = 100;

    /// <summary>
    /// Training stops as diverged when a step's loss is not finite, or when the batch losses' moving average over
    /// about 64 samples exceeds this factor times the mean loss of the first 64 samples (floored at 1e-3): a signal as
    /// steady at batch 1 as at large batches.
    /// </summary>
    public float DivergenceFactor { get; init; } = 1e4f;

    /// <summary>
    /// Threads computing each step's gradient: 1 (the default) runs on the calling thread; more split every batch
    /// into that many contiguous chunks on a persistent <see cref="WorkerPool"/>, each chunk's gradient in its own
    /// buffer, summed in a fixed order, so results do not depend on scheduling (they differ from one thread's in
    /// the last bits: the sum is grouped differently). Worth it for large batches; from 1 to <see cref="BatchSize"/>.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// A batch (with several <see cref="Threads"/>, each thread's part of it) is gathered and differentiated in chunks
    /// of this many rows, each chunk's rows still in cache when its backward pass re-reads them; each chunk's gradient is
    /// added to the sum, weighted by its size, in order, then the update runs (results differ from one pass over the
    /// batch only in the last bits). Null (the default) lets the running core's L2 decide (<see cref="CacheSizes"/>): a
    /// pass whose working set (its inputs, the parameters, the activations) exceeds half the L2 goes in chunks of the
    /// largest declared batch size from 64 to 256 (else 128) whose working set fits in half the L2; when none fits,
    /// a pass beyond twice the L2 goes in chunks of the largest of them. 0 never chunks.
    /// </summary>
    public int? ChunkSize { get; init; }

    /// <summary>
    /// How many times training may recover from divergence before it stops: the parameters go back to a snapshot taken
    /// 64 to 128 steps before the divergence was seen (snapshots every 64 steps, the first at the start), momentum is
    /// cleared and the learning rate halved; <see cref="TrainingSession{TModel}.RollBacks"/> lists where. 0 (the
    /// default): the first divergence ends training.
    /// </summary>
    public int RollBacks { get; init; }

    /// <summary>
    /// Gathers the coming batches' rows on a helper thread while the current step computes (as many batches ahead as
    /// fill twice the L2), so steps on wide rows from a data set larger than the caches stop waiting for memory; it
    /// takes a second core, and the results are identical bit for bit (batches are drawn in the same order). A chunked
    /// batch (<see cref="ChunkSize"/>) is gathered ahead chunk by chunk. Applies with one <see cref="Threads"/>;
    /// otherwise each thread gathers its part in the step as without it. For a model with little arithmetic per feature
    /// (a softmax regression on image bytes), features stored as bytes are gathered by the helper only while its core
    /// shares a cache with the step's, measured every few milliseconds (a virtual machine's host may move a vCPU at any
    /// time); from a core farther away the step gathers them itself, as without the option. Dispose the session to stop
    /// the helper.
    /// </summary>
    public bool GatherAhead { get; init; }

    /// <summary>
    /// Measures the gradient noise scale B_simple at every step from the step's own batch (the kernels' per-example
    /// gradient norms; no extra sampling): <see cref="TrainingSession{TModel}.NoiseScale"/> and
    /// <see cref="TrainingProgress.NoiseScale"/>. The step then runs unfused (gradient, norms, update; the same
    /// parameters bit for bit) and unchunked; needs one <see cref="Threads"/> and no <see cref="GatherAhead"/> or
    /// <see cref="ChunkSize"/>. Batches of one sample add nothing.
    /// </summary>
    public bool TrackNoiseScale { get; init; }

    /// <summary>Steps the tracked noise scale is weighted over (exponentially; <see cref="TrackNoiseScale"/>). Default 100.</summary>
    public int NoiseScaleWindow { get; init; } = 100;

    /// <summary>
    /// Where <see cref="TrainingSession{TModel}.Run"/> writes checkpoints: every <see cref="CheckpointInterval"/> steps,
    /// on cancellation and at the end (atomically; each replaces the last). Null (the default): none. Resume with
    /// <see cref="TrainingSession{TModel}.RestoreCheckpoint"/> on a session built with the same options and data.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Steps between the checkpoints <see cref="CheckpointPath"/> receives; 0 (the default): only on cancellation and at the end.</summary>
    public int CheckpointInterval { get; init; }

    /// <summary>The update rule at a given learning rate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal UpdateRule RuleAt(float learningRate) => new(learningRate, Momentum, WeightDecay, Nesterov);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that is invalid for a training set of <paramref name="trainingSamples"/>.</summary>
    public void Validate(int trainingSamples)
    {
        if (!float.IsFinite(LearningRate) || LearningRate <= 0f)
        {
            throw Invalid(nameof(LearningRate), LearningRate, "must be finite and greater than 0");
        }
        if (BatchSize <= 0)
        {
            throw Invalid(nameof(BatchSize), BatchSize, "must be at least 1");
        }
        if (BatchSize > trainingSamples)
        {
            throw Invalid(nameof(BatchSize), BatchSize, FormattableString.Invariant($"is larger than the training set ({trainingSamples} samples)"));
        }
        if (Epochs is null == Steps is null)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"Set exactly one budget: {nameof(Epochs)} or {nameof(Steps)} (got {(Epochs is null ? "neither" : "both")})."), nameof(Epochs));
        }
        if (Epochs is <= 0)
        {
            throw Invalid(nameof(Epochs), Epochs, "must be at least 1");
        }
        if (Steps is <= 0)
        {
            throw Invalid(nameof(Steps), Steps, "must be at least 1");
        }
        if (!Enum.IsDefined(Sampling))
        {
            throw Invalid(nameof(Sampling), Sampling, "is not a BatchSampling value");
        }
        if (!float.IsFinite(Momentum) || Momentum < 0f || Momentum >= 1f)
        {
            throw Invalid(nameof(Momentum), Momentum, "must be in [0, 1)");
        }
        if (Nesterov && Momentum == 0f)
        {
            throw Invalid(nameof(Nesterov), Nesterov, "needs a Momentum above 0");
        }
        if (!float.IsFinite(WeightDecay) || WeightDecay < 0f)
        {
            throw Invalid(nameof(WeightDecay), WeightDecay, "must be finite and at least 0");
        }
        if (WarmupSteps < 0)
        {
            throw Invalid(nameof(WarmupSteps), WarmupSteps, "must be at least 0");
        }
        if (Threads < 1 || Threads > BatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, $"Threads must be from 1 to the batch size ({BatchSize}).");
        }
        if (ChunkSize is < 0 || ChunkSize > BatchSize)
        {
            throw Invalid(nameof(ChunkSize), ChunkSize, "must be 0 (never chunk) or from 1 to the batch size");
        }
        if (TrackNoiseScale && (Threads > 1 || GatherAhead || ChunkSize is > 0))
        {
            throw Invalid(nameof(TrackNoiseScale), TrackNoiseScale, $"needs {nameof(Threads)} = 1 and no {nameof(GatherAhead)} or {nameof(ChunkSize)}");
        }
        if (NoiseScaleWindow < 1)
        {
            throw Invalid(nameof(NoiseScaleWindow), NoiseScaleWindow, "must be at least 1");
        }
        if (RollBacks < 0)
        {
            throw Invalid(nameof(RollBacks), RollBacks, "must be at least 0");
        }
        if (CheckpointInterval < 0)
        {
            throw Invalid(nameof(CheckpointInterval), CheckpointInterval, "must be at least 0");
        }
        if (CheckpointInterval > 0 && string.IsNullOrEmpty(CheckpointPath))
        {
            throw Invalid(nameof(CheckpointInterval), CheckpointInterval, $"needs a {nameof(CheckpointPath)} to write to");
        }
        if (ProgressInterval <= 0)
        {
            throw Invalid(nameof(ProgressInterval), ProgressInterval, "must be at least 1");
        }
        if (!(DivergenceFactor > 1f))
        {
            throw Invalid(nameof(DivergenceFactor), DivergenceFactor, "must be greater than 1");
        }
    }

    /// <summary>Updates per epoch for <paramref name="trainingSamples"/> samples.</summary>
    public int StepsPerEpoch(int trainingSamples) =>
        Sampling == BatchSampling.ShuffledEpochs && !DropLastPartialBatch
            ? (trainingSamples + BatchSize - 1) / BatchSize
            : Math.Max(1, trainingSamples / BatchSize);

    /// <summary>The step budget for <paramref name="trainingSamples"/> samples.</summary>
    public int TotalSteps(int trainingSamples) =>
        Steps ?? checked(Epochs!.Value * StepsPerEpoch(trainingSamples));

    private static ArgumentOutOfRangeException Invalid(string option, object? value, string rule) =>
        new(option, value, FormattableString.Invariant($"TrainingOptions.{option} is {value}; it {rule}."));
}
