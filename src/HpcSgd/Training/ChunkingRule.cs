namespace HpcSgd.Training;

/// <summary>
/// Rows per chunk when <see cref="TrainingOptions.ChunkSize"/> leaves it to the library. A backward pass re-reads
/// its rows' inputs and activations; a chunk whose working set fits in half the L2 still has them there, so a pass that
/// does not fit goes in the largest such chunk. Where even the smallest chunk does not fit (the parameters alone fill
/// the L2), chunks only bound the buffers a pass streams through: then a pass beyond twice the L2 goes in chunks of the
/// largest declared batch size (benchmarks/README.md measures both cases).
/// </summary>
internal static class ChunkingRule
{
    /// <summary>The chunk sizes tried, from the largest: declared batch sizes in this range run specialized kernels.</summary>
    private const int SmallestChunk = 64, LargestChunk = 256;

    /// <summary>The chunk size when no batch size from 64 to 256 is declared.</summary>
    private const int UndeclaredChunk = 128;

    /// <summary>Rows per chunk (0: one pass) for passes of <paramref name="rowsPerPass"/> rows.</summary>
    /// <param name="inputCount">Features per row.</param>
    /// <param name="parameterCount">The model's parameters.</param>
    /// <param name="workspaceFloats">The model's workspace for a number of rows (activations and deltas).</param>
    /// <param name="declaredBatchSizes">The batch sizes the model has specialized kernels for.</param>
    /// <param name="rowsPerPass">Rows one thread's pass holds.</param>
    /// <param name="l2Bytes">The running core's L2.</param>
    public static int Rows(int inputCount, int parameterCount, Func<int, int> workspaceFloats, IReadOnlyList<int> declaredBatchSizes, int rowsPerPass, long l2Bytes)
    {
        long WorkingSet(int rows) => ((long)rows * inputCount + parameterCount + workspaceFloats(rows)) * sizeof(float);

        if (WorkingSet(rowsPerPass) <= l2Bytes / 2)
        {
            return 0;
        }
        int[] candidates = declaredBatchSizes.Where(b => b is >= SmallestChunk and <= LargestChunk).Distinct().OrderDescending().ToArray();
        if (candidates.Length == 0)
        {
            candidates = [UndeclaredChunk];
        }
        foreach (int rows in candidates)
        {
            if (rows < rowsPerPass && WorkingSet(rows) <= l2Bytes / 2)
            {
                return rows;
            }
        }
        return WorkingSet(rowsPerPass) > 2 * l2Bytes && candidates[0] < rowsPerPass ? candidates[0] : 0;
    }
}
