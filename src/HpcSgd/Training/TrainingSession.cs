using System.Diagnostics;
using System.Runtime.CompilerServices;
using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>
/// One mini-batch SGD run, step by step. Every buffer (batch, gradient, velocity, workspaces, sample order)
/// is allocated here, up front; <see cref="Step"/> then allocates nothing: it draws a batch, gathers its rows,
/// computes loss and gradient with the model's generated kernels (the one specialized for the batch size
/// when declared), checks for divergence, updates the parameters and reports progress. The methods a step runs, here
/// and in the sampler, gather, workers and kernels, are marked <c>AggressiveOptimization</c> (or inlined into one that
/// is): compiled optimized on first call, never recompiled by tiered compilation in the middle of a run.
/// </summary>
public sealed partial class TrainingSession<TModel> : IDisposable where TModel : ISgdModel<TModel>
{
    private readonly Model<TModel> model;
    private readonly Dataset<TModel> data;
    private readonly Dataset<TModel>? validation;
    private readonly TrainingOptions options;
    private readonly AlignedFloats batchInputs;
    private readonly AlignedFloats batchTargets;
    private readonly AlignedFloats gradient;
    private readonly AlignedFloats velocity;
    private readonly AlignedFloats workspace;
    private readonly int workspaceRows;
    private int divergedAtStep;
    private readonly AlignedFloats validationWorkspace;
    private readonly BatchSampler sampler;
    private readonly BatchGather<TModel> gather;
    private readonly ParallelGradient<TModel>? parallel;
    private readonly GatherAhead<TModel>? ahead;
    private int aheadSlot;
    private int pendingBatch;
    private readonly int chunkRows;
    private int lastBatchSize;
    private long samplesSeen;
    private readonly DivergenceWatch divergence;
    private readonly NoiseTracker? noise;
    private readonly float[] noiseInputNorms;
    private readonly float[] noiseNorms;

    /// <summary>Prepares a run; throws <see cref="ArgumentException"/> for invalid options or a batch larger than the data.</summary>
    public TrainingSession(Model<TModel> model, Dataset<TModel> data, TrainingOptions options, Dataset<TModel>? validation = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(data.Count);
        this.model = model;
        this.data = data;
        this.options = options;
        this.validation = validation;
        ModelDescription description = TModel.Description;
        int batch = options.BatchSize;
        // Each thread's share of the batch is what one pass keeps in cache, so it decides the chunking.
        // Tracking the noise needs the whole batch's workspace after the gradient: no chunks.
        chunkRows = options.TrackNoiseScale ? 0 : ChunkRows(options, description, (batch + options.Threads - 1) / options.Threads);
        // Chunks of one thread reuse the same rows, so its buffers hold one chunk (W4 at batch 2048: 0.4 MB, not 6.4).
        int rows = options.Threads == 1 && chunkRows > 0 ? Math.Min(batch, chunkRows) : batch;
        bool gatherAhead = options.GatherAhead && options.Threads == 1;
        // Gathering ahead, the batches live in the helper's ring.
        batchInputs = new AlignedFloats(gatherAhead ? 0 : rows * description.InputCount);
        batchTargets = new AlignedFloats(gatherAhead ? 0 : rows * description.TargetWidth);
        gradient = new AlignedFloats(description.ParameterCount);
        velocity = new AlignedFloats(options.Momentum > 0f ? description.ParameterCount : 0);
        workspace = new AlignedFloats(TModel.WorkspaceLength(rows));
        workspaceRows = rows;
        validationWorkspace = new AlignedFloats(validation is null ? 0 : TModel.WorkspaceLength(LossEvaluator<TModel>.Chunk));
        sampler = new BatchSampler(data.Count, options);
        gather = new BatchGather<TModel>(data);
        if (options.Threads > 1)
        {
            parallel = new ParallelGradient<TModel>(batch, options.Threads, gradient, ChunkedLossAndGradient);
        }
        if (gatherAhead)
        {
            pieceRows = rows;
            // A piece the step takes whole while the helper is far goes to its kernels as byte rows, as on one thread.
            ahead = new GatherAhead<TModel>(gather, rows, GatherAheadDepth(rows, description.InputCount, description.TargetWidth, CacheSizes.L2Bytes),
                leaveFarPiecesToStep: gather.WidensBytes);
        }
        TotalSteps = options.TotalSteps(data.Count);
        divergence = new DivergenceWatch(options.DivergenceFactor);
        (snapshots, snapshotSteps, rollBackEvents) = RollBackBuffers();
        (noise, noiseInputNorms, noiseNorms) = NoiseBuffers(batch);
    }

    /// <summary>The step budget.</summary>
    public int TotalSteps { get; }

    /// <summary>Steps completed.</summary>
    public int StepsDone { get; private set; }

    /// <summary>Samples drawn so far (the sum of the batch sizes of the completed steps).</summary>
    public long SamplesSeen => samplesSeen;

    /// <summary>Samples seen / training-set size.</summary>
    public double Epoch
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (double)samplesSeen / data.Count;
    }

    /// <summary>Mean loss of the last step's batch.</summary>
    public float LastLoss { get; private set; } = float.NaN;

    /// <summary>The learning rate of the last step.</summary>
    public float LastLearningRate { get; private set; }

    /// <summary>Set when a step's loss diverged; no further step runs.</summary>
    public bool Diverged { get; private set; }

    /// <summary>
    /// Runs one step and returns true, or returns false without changing the parameters when the budget is spent
    /// or the loss diverged (then <see cref="Diverged"/> is set and <see cref="LastLoss"/> holds the offending loss).
    /// While <see cref="TrainingOptions.RollBacks"/> remain, a diverging step instead goes back to a snapshot with the
    /// rate halved and returns true without counting as a step (<see cref="RollBacks"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Step()
    {
        if (Diverged || StepsDone >= TotalSteps)
        {
            return false;
        }
        int batch = NextBatch();
        lastBatchSize = batch;
        float learningRate = options.LearningRate * rateScale * options.Schedule.Multiplier(StepsDone, TotalSteps, options.WarmupSteps);
        UpdateRule rule = options.RuleAt(learningRate);
        // One thread: the model's fused step, which skips the update itself when the loss fails the limit (none is
        // known before the first loss). Several: the chunked gradient, then the update below.
        // Chunked (large batches, one thread): chunk by chunk gradients, then the update below.
        bool chunked = parallel is null && chunkRows > 0 && batch > chunkRows;
        float loss = parallel is not null ? parallel.LossAndGradient(batch)
            : chunked ? ChunkedLossAndGradient(0, batch, batch, gradient, workspace)
            : noise is not null ? NoiseTrackedStep(batch, rule, divergence.LossLimit(batch))
            : FusedStep(batch, rule, divergence.LossLimit(batch));
        LastLoss = loss;
        if (divergence.Diverges(loss, batch))
        {
            if (TryRollBack(loss, StepsDone + 1))
            {
                return true;
            }
            Diverge(StepsDone + 1);
            return false;
        }
        if (parallel is not null || chunked)
        {
            TModel.Update(model.Parameters, gradient, velocity, rule);
        }
        LastLearningRate = learningRate;
        StepsDone++;
        samplesSeen += batch;
        if (StepsDone % SnapshotInterval == 0)
        {
            // A non-finite parameter that the loss does not show (a NaN bias behind a ReLU) is divergence too; checked
            // every 64 steps, one pass over the parameters, and never copied into a snapshot.
            if (!ParametersFinite())
            {
                if (!TryRollBack(float.NaN, StepsDone))
                {
                    Diverge(StepsDone);
                }
                return true;
            }
            TakeSnapshot();
        }

        if (options.Progress is { } progress && (StepsDone % options.ProgressInterval == 0 || StepsDone == TotalSteps))
        {
            progress(new TrainingProgress(StepsDone, Epoch, loss, ValidationLoss(), learningRate, CurrentNoiseScale));
        }
        return true;
    }

    /// <summary>Runs steps until the budget is spent, the loss diverges or <paramref name="cancellationToken"/> is signalled.</summary>
    public TrainingResult Run(CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        TrainingStatus status = TrainingStatus.Completed;
        while (StepsDone < TotalSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                status = TrainingStatus.Cancelled;
                break;
            }
            if (!Step())
            {
                break;
            }
            CheckpointIfDue(force: false);
        }
        float validationLoss = Diverged ? float.NaN : ValidationLoss();
        // Finite parameters can still predict NaN (huge weights: inf - inf): a completed run must also give a finite loss.
        if (!Diverged && status == TrainingStatus.Completed && !(ParametersFinite() && float.IsFinite(validation is null ? FirstRowsLoss() : validationLoss)))
        {
            Diverge(StepsDone);
        }
        if (Diverged)
        {
            status = TrainingStatus.Diverged;
            validationLoss = float.NaN;
        }
        CheckpointIfDue(force: true);
        return new TrainingResult(status, StepsDone, Epoch, LastLoss, validationLoss,
            Diverged ? divergedAtStep : null, Stopwatch.GetElapsedTime(start));
    }

    private void Diverge(int atStep)
    {
        Diverged = true;
        divergedAtStep = atStep;
    }

    /// <summary>The mean loss of the training set's first rows (as many as the workspace holds) with the current parameters.</summary>
    private float FirstRowsLoss()
    {
        int rows = Math.Min(data.Count, workspaceRows);
        ModelDescription description = TModel.Description;
        return TModel.EvaluateLoss(model.Parameters, data.Features[..(rows * description.InputCount)], data.Targets[..(rows * description.TargetWidth)], workspace, rows);
    }

    /// <summary>
    /// Stops the session's threads (the workers of a multi-threaded session, the helper that gathers ahead), from any
    /// thread: a step in progress elsewhere finishes its current phase, and its next use of them throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        parallel?.Dispose();
        ahead?.Dispose();
    }

    /// <summary>Worker threads of a multi-threaded session still alive (for tests of <see cref="Dispose"/>).</summary>
    internal int WorkerThreadsAlive => parallel?.ThreadsAlive ?? 0;

    /// <summary>True while the helper that gathers ahead has a live thread (for tests).</summary>
    internal bool GatherAheadRunning => ahead is not null && ahead.IsRunning;

    /// <summary>Placement probes the gathering helper answered, near and far (none without <see cref="TrainingOptions.GatherAhead"/>).</summary>
    internal (long Near, long Far) GatherAheadProbes => ahead?.Probes ?? (0, 0);

    /// <summary>Bytes allocated by the worker and helper threads inside steps (for allocation tests).</summary>
    internal long AllocatedOnWorkers => (parallel?.AllocatedOnWorkers ?? 0) + (ahead?.Allocated ?? 0);

    /// <summary>
    /// Runs the model's <c>TrainStep</c> on the batch: gathered by the helper when gathering ahead, else on the batch's byte
    /// rows, which the step widens into the batch buffer itself, or on rows gathered here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float FusedStep(int batch, in UpdateRule rule, float lossLimit)
    {
        ModelDescription description = TModel.Description;
        Span<float> inputs, targets;
        ReadOnlySpan<int> indices;
        if (ahead is not null)
        {
            if (TakePiece(out inputs, out targets, out indices))
            {
                return TModel.TrainStep(model.Parameters, inputs, targets, gradient, velocity, workspace, batch, rule, lossLimit);
            }
        }
        else
        {
            indices = sampler.Batch(batch);
            inputs = batchInputs.Slice(0, batch * description.InputCount);
            targets = batchTargets.Slice(0, batch * description.TargetWidth);
        }
        if (gather.TryByteRows(indices, targets, out ByteRowBatch rows))
        {
            return TModel.TrainStep(model.Parameters, rows, inputs, targets, gradient, velocity, workspace, rule, lossLimit);
        }
        gather.Rows(indices, inputs, targets);
        return TModel.TrainStep(model.Parameters, inputs, targets, gradient, velocity, workspace, batch, rule, lossLimit);
    }

    /// <summary>
    /// Writes into <paramref name="sum"/> the share of the batch's mean-loss gradient that rows [start, start + count)
    /// contribute (their gradient weighted by count / batch), chunk by chunk (<see cref="chunkRows"/>; one chunk when 0):
    /// each chunk is gathered right before its kernels run, into the same rows of the batch buffers (from row
    /// <paramref name="start"/>), which stay in L2 instead of a fresh buffer per chunk being fetched and written back (or,
    /// gathering ahead, taken from the helper's ring), and
    /// the weight-gradient kernels add its gradient to the sum themselves (no chunk gradient stored and summed in a further
    /// pass). Fixed chunk order. Returns the rows' mean loss.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float ChunkedLossAndGradient(int start, int count, int batch, AlignedFloats sum, AlignedFloats chunkWorkspace)
    {
        sum.Span.Clear();
        int rowsPerChunk = chunkRows > 0 ? chunkRows : count;
        double loss = 0;
        for (int offset = 0; offset < count; offset += rowsPerChunk)
        {
            int rows = Math.Min(rowsPerChunk, count - offset);
            float weight = (float)rows / batch;
            float chunkLoss;
            if (ahead is not null)
            {
                // One thread gathering ahead: the helper has gathered this chunk, or left it to the step.
                chunkLoss = TakePiece(out Span<float> inputs, out Span<float> targets, out ReadOnlySpan<int> indices)
                    ? TModel.AccumulateLossAndGradient(model.Parameters, inputs, targets, sum, chunkWorkspace, rows, weight)
                    : GatheredChunkLoss(indices, inputs, targets, weight, sum, chunkWorkspace);
            }
            else
            {
                ModelDescription description = TModel.Description;
                chunkLoss = GatheredChunkLoss(sampler.Batch(lastBatchSize).Slice(start + offset, rows),
                    batchInputs.Slice(start * description.InputCount, rows * description.InputCount),
                    batchTargets.Slice(start * description.TargetWidth, rows * description.TargetWidth), weight, sum, chunkWorkspace);
            }
            loss += (double)chunkLoss * rows;
        }
        return (float)(loss / count);
    }

    /// <summary>Rows per chunk for this run (0: no chunking); see <see cref="TrainingOptions.ChunkSize"/>.</summary>
    private static int ChunkRows(TrainingOptions options, ModelDescription description, int rowsPerPass) =>
        options.ChunkSize ?? ChunkingRule.Rows(description.InputCount, description.ParameterCount, TModel.WorkspaceLength,
            description.DeclaredBatchSizes, rowsPerPass, CacheSizes.L2Bytes);

    /// <summary>
    /// Gathers the rows <paramref name="indices"/> into <paramref name="inputs"/> and <paramref name="targets"/> (or hands
    /// them to the kernels as byte rows, which widen them there themselves) and adds their gradient, times
    /// <paramref name="weight"/>, to <paramref name="sum"/>; returns their mean loss.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float GatheredChunkLoss(ReadOnlySpan<int> indices, Span<float> inputs, Span<float> targets, float weight, AlignedFloats sum, AlignedFloats chunkWorkspace)
    {
        if (gather.TryByteRows(indices, targets, out ByteRowBatch rows))
        {
            return TModel.AccumulateLossAndGradient(model.Parameters, rows, inputs, targets, sum, chunkWorkspace, weight);
        }
        gather.Rows(indices, inputs, targets);
        return TModel.AccumulateLossAndGradient(model.Parameters, inputs, targets, sum, chunkWorkspace, indices.Length, weight);
    }

    /// <summary>Mean loss on the validation set, or NaN without one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float ValidationLoss() =>
        validation is null ? float.NaN : LossEvaluator<TModel>.MeanLoss(model.Parameters, validation, validationWorkspace);
}
