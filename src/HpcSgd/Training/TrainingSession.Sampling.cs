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

    /// <summary>
    /// Gathering ahead: waits for this step's batch (requested by the previous step, or now by the first), then draws
    /// the next batch and requests it, so the helper gathers it while this step computes. Batches are drawn in the same
    /// order as without the helper, so results are identical bit for bit.
    /// </summary>
    private int TakeGatheredBatch()
    {
        if (pendingBatch == 0)
        {
            pendingBatch = sampler.Draw();
            ahead!.Request(sampler.Batch(pendingBatch));
        }
        int batch = pendingBatch;
        aheadSlot = ahead!.Wait();
        pendingBatch = 0;
        if (StepsDone + 1 < TotalSteps)
        {
            pendingBatch = sampler.Draw();
            ahead.Request(sampler.Batch(pendingBatch));
        }
        return batch;
    }

    /// <summary>The sample indices of the last step's batch (for tests of the sampling).</summary>
    internal ReadOnlySpan<int> LastBatchIndices => ahead is not null ? ahead.Indices(aheadSlot) : sampler.Batch(lastBatchSize);
}
