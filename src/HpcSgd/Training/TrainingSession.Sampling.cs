namespace HpcSgd.Training;

/// <summary>Where a step's batch comes from: the sample order (shuffled epochs or fresh random draws) and, with GatherAhead, the helper's slots.</summary>
public sealed partial class TrainingSession<TModel>
{
    /// <summary>
    /// Gathering ahead: waits for this step's batch (requested by the previous step, or now by the first), then draws
    /// the next batch and requests it, so the helper gathers it while this step computes. Batches are drawn in the same
    /// order as without the helper, so results are identical bit for bit.
    /// </summary>
    private int TakeGatheredBatch()
    {
        if (pendingBatch == 0)
        {
            pendingBatch = DrawBatch();
            ahead!.Request(order.AsSpan(position - pendingBatch, pendingBatch));
        }
        int batch = pendingBatch;
        aheadSlot = ahead!.Wait();
        pendingBatch = 0;
        if (StepsDone + 1 < TotalSteps)
        {
            pendingBatch = DrawBatch();
            ahead.Request(order.AsSpan(position - pendingBatch, pendingBatch));
        }
        return batch;
    }

    /// <summary>The sample indices of the last step's batch (for tests of the sampling).</summary>
    internal ReadOnlySpan<int> LastBatchIndices => ahead is not null ? ahead.Indices(aheadSlot) : order.AsSpan(position - lastBatchSize, lastBatchSize);

    /// <summary>Makes the next batch order[position - batch .. position) and returns its size.</summary>
    private int DrawBatch()
    {
        int batch = options.BatchSize;
        if (options.Sampling == BatchSampling.RandomBatches)
        {
            // Partial Fisher-Yates: order[0..batch) becomes a uniform draw of distinct samples.
            for (int i = 0; i < batch; i++)
            {
                int j = i + random.NextInt(order.Length - i);
                (order[i], order[j]) = (order[j], order[i]);
            }
            position = batch;
            return batch;
        }

        int remaining = order.Length - position;
        if (remaining == 0 || (options.DropLastPartialBatch && remaining < batch))
        {
            random.Shuffle(order);
            position = 0;
            remaining = order.Length;
        }
        int size = Math.Min(batch, remaining);
        position += size;
        return size;
    }
}
