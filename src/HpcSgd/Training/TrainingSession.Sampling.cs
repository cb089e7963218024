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

    // Gathering ahead, the helper is asked for pieces of batches in the order the step takes them: each batch whole, or
    // chunk by chunk when it is chunked (pieceRows). The request cursor is the next piece to ask for: piece
    // cursorPiece of the batch cursorBatch draws after the sampler's last drawn batch (0: that batch itself).
    private int pieceRows;
    private int outstandingPieces;
    private int cursorBatch;
    private int cursorPiece;
    private int lastDrawnBatch;

    /// <summary>
    /// Gathering ahead: draws this step's batch (or takes the one drawn ahead) and asks for the pieces the ring has
    /// room for; the step then takes its pieces with <see cref="TakePiece"/>. Batches after it are peeked, not drawn, so
    /// the sampler draws exactly as without the helper (results identical bit for bit, checkpoints alike).
    /// </summary>
    private int TakeGatheredBatch()
    {
        int batch;
        if (pendingBatch > 0)
        {
            batch = pendingBatch; // drawn ahead (by the last step, or before the checkpoint was written): the cursor is already relative to it
            pendingBatch = 0;
        }
        else
        {
            batch = lastDrawnBatch = sampler.Draw();
            if (--cursorBatch < 0)
            {
                (cursorBatch, cursorPiece) = (0, 0); // nothing of this batch requested yet (the first step, or an epoch's)
            }
        }
        RequestAhead();
        return batch;
    }

    /// <summary>
    /// Waits for the next piece of the step's batch, then asks for the next pieces the ring has room for. Returns true when
    /// the piece is gathered into <paramref name="inputs"/> and <paramref name="targets"/>; false when it is left to the
    /// step (the helper's core is far): its rows <paramref name="indices"/> are then for the step to gather there.
    /// </summary>
    private bool TakePiece(out Span<float> inputs, out Span<float> targets, out ReadOnlySpan<int> indices)
    {
        aheadSlot = ahead!.Wait();
        outstandingPieces--;
        RequestAhead();
        inputs = ahead.Inputs(aheadSlot);
        targets = ahead.Targets(aheadSlot);
        indices = ahead.Indices(aheadSlot);
        return !ahead.IsLeftToStep(aheadSlot);
    }

    /// <summary>
    /// Asks for pieces from the cursor on until the ring's other slots are taken, the step budget ends, or the next batch
    /// would start a new epoch (not shuffled yet). Batches drawn afresh per step cannot be peeked: the next one is drawn
    /// ahead instead (a checkpoint then keeps it as the pending batch).
    /// </summary>
    private void RequestAhead()
    {
        while (outstandingPieces < ahead!.Depth - 1)
        {
            ReadOnlySpan<int> indices;
            if (cursorBatch == 0)
            {
                indices = sampler.Batch(lastDrawnBatch);
            }
            else if (StepsDone + cursorBatch >= TotalSteps)
            {
                return;
            }
            else if (!sampler.TryPeek(cursorBatch, out indices))
            {
                if (sampler.CanPeek || cursorBatch != 1 || pendingBatch > 0)
                {
                    return;
                }
                pendingBatch = lastDrawnBatch = sampler.Draw();
                cursorBatch = 0;
                continue;
            }
            int first = cursorPiece * pieceRows;
            int rows = Math.Min(pieceRows, indices.Length - first);
            ahead.Request(indices.Slice(first, rows));
            outstandingPieces++;
            (cursorBatch, cursorPiece) = first + rows == indices.Length ? (cursorBatch + 1, 0) : (cursorBatch, cursorPiece + 1);
        }
    }

    /// <summary>
    /// The helper's ring, in pieces of <paramref name="rows"/> samples: enough that a piece has been followed by twice
    /// the L2's size in later gathers before its step reads it, so it comes from the shared L3 rather than from the
    /// helper core's private L2 (benchmarks/README.md, issue #13); at least two.
    /// </summary>
    internal static int GatherAheadDepth(int rows, int inputWidth, int targetWidth, int l2Bytes)
    {
        long pieceBytes = (long)rows * (inputWidth + targetWidth) * sizeof(float);
        return (int)Math.Clamp(2L * l2Bytes / Math.Max(1, pieceBytes) + 1, 2, MaxGatherAheadDepth);
    }

    /// <summary>The most pieces the helper's ring holds (small ones gather in microseconds; more slots would only take memory).</summary>
    internal const int MaxGatherAheadDepth = 32;

    /// <summary>The sample indices of the last step's batch, or of its last chunk when gathered ahead chunk by chunk (for tests of the sampling).</summary>
    internal ReadOnlySpan<int> LastBatchIndices => ahead is not null ? ahead.Indices(aheadSlot) : sampler.Batch(lastBatchSize);
}
