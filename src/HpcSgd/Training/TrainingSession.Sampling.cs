using System.Runtime.CompilerServices;
namespace HpcSgd.Training;

/// <summary>Where a step's batch comes from: the sampler, a batch drawn ahead (gathering ahead, or a restored checkpoint's), and the helper's slots.</summary>
public sealed partial class TrainingSession<TModel>
{
    /// <summary>The next batch's size: the one drawn ahead when there is one, else a fresh draw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int NextBatch()
    {
        if (ahead is not null)
        {
            return TakeGatheredBatch();
        }
        int batch = pendingBatch > 0 ? pendingBatch : sampler.Draw();
        pendingBatch = 0;
        return batch;
    }

    /// <summary>Batches requested from the helper beyond the one the next step takes (peeked, not yet drawn).</summary>
    private int requestedAhead;

    /// <summary>
    /// Gathering ahead: draws this step's batch, requested earlier unless it starts an epoch (or is the first), waits for
    /// its rows, then requests the batches after it that the ring has room for. Those are peeked, not drawn, so the
    /// sampler draws exactly as without the helper (results identical bit for bit, checkpoints alike); where they cannot
    /// be peeked (batches drawn afresh per step), one batch is drawn ahead instead, as a restored checkpoint's may be.
    /// </summary>
    private int TakeGatheredBatch()
    {
        int batch;
        if (pendingBatch > 0)
        {
            batch = pendingBatch; // drawn and requested already (by the last step, or when the checkpoint was restored)
            pendingBatch = 0;
        }
        else
        {
            batch = sampler.Draw();
            if (requestedAhead > 0)
            {
                requestedAhead--;
            }
            else
            {
                ahead!.Request(sampler.Batch(batch));
            }
        }
        aheadSlot = ahead!.Wait();
        // Requests beyond this step's: at most the ring's other slots, none past the step budget.
        while (requestedAhead < ahead.Depth - 1 && StepsDone + 1 + requestedAhead < TotalSteps
            && sampler.TryPeek(requestedAhead + 1, out ReadOnlySpan<int> next))
        {
            ahead.Request(next);
            requestedAhead++;
        }
        if (requestedAhead == 0 && StepsDone + 1 < TotalSteps && !sampler.CanPeek)
        {
            pendingBatch = sampler.Draw();
            ahead.Request(sampler.Batch(pendingBatch));
        }
        return batch;
    }

    /// <summary>
    /// The helper's ring: enough batches that one has been followed by twice the L2's size in later gathers before its
    /// step reads it, so it comes from the shared L3 rather than from the helper core's private L2 (benchmarks/README.md,
    /// issue #13); at least two.
    /// </summary>
    internal static int GatherAheadDepth(int batch, int inputWidth, int targetWidth, int l2Bytes)
    {
        long batchBytes = (long)batch * (inputWidth + targetWidth) * sizeof(float);
        return (int)Math.Clamp(2L * l2Bytes / Math.Max(1, batchBytes) + 1, 2, MaxGatherAheadDepth);
    }

    /// <summary>The most batches the helper's ring holds (small batches gather in microseconds; more slots would only take memory).</summary>
    internal const int MaxGatherAheadDepth = 32;

    /// <summary>The sample indices of the last step's batch (for tests of the sampling).</summary>
    internal ReadOnlySpan<int> LastBatchIndices => ahead is not null ? ahead.Indices(aheadSlot) : sampler.Batch(lastBatchSize);
}
