using System.Diagnostics;
using System.Runtime.ExceptionServices;
using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>
/// Gathers coming batches' rows on a helper thread while the current step computes (a ring of batch buffers used in
/// turn), so a step whose rows come from a data set larger than the caches waits for memory only when the gather
/// takes longer than the kernels. A piece is copied in chunks that either thread claims: a step never waits for the
/// helper to be scheduled or to finish a piece it is slow at (on a shared machine its copies can take several times
/// the step's own); it copies the chunks nobody has claimed and waits only for those being copied.
/// </summary>
internal sealed class GatherAhead<TModel> : IDisposable where TModel : ISgdModel<TModel>
{
    /// <summary>How long the helper spins for a request before it blocks (a pause between steps, or the end of training).</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000;

    /// <summary>
    /// Bytes of rows per chunk: enough rows that the gather's groups of rows keep their misses overlapped, few enough that
    /// a step waits for little when the helper is copying its piece.
    /// </summary>
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Rows per chunk are a multiple of this (the wide gathers copy rows in groups of eight, the next group requested meanwhile).</summary>
    private const int ChunkRowMultiple = 16;

    private readonly BatchGather<TModel> gather;
    private readonly Slot[] slots;
    private readonly int chunkRows;
    private readonly SemaphoreSlim wake = new(0);
    private readonly Thread thread;
    private readonly bool started;
    private long requests; // requests made so far; slot of request n: n % Depth
    private long taken; // requests the step has begun to take
    private int helperSleeping;
    private long allocated;
    private volatile bool disposed;

    /// <param name="gather">Copies a batch's rows.</param>
    /// <param name="batch">The most samples one request holds: a batch, or a chunk of one when the session chunks batches.</param>
    /// <param name="depth">Buffers in the ring (at least 2): one for the step that computes, the others for requests.</param>
    /// <param name="startHelper">False leaves the helper thread unstarted, so the step gathers every piece itself (for tests).</param>
    /// <param name="chunkRows">Rows per claimed chunk; by default a multiple of 16 rows near 64 KiB.</param>
    public GatherAhead(BatchGather<TModel> gather, int batch, int depth, bool startHelper = true, int chunkRows = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkRows);
        this.gather = gather;
        this.chunkRows = chunkRows > 0 ? chunkRows : ChunkRows(TModel.Description.InputCount + TModel.Description.TargetWidth);
        slots = new Slot[depth];
        for (int s = 0; s < slots.Length; s++)
        {
            slots[s] = new Slot(batch);
        }
        thread = new Thread(Loop) { IsBackground = true, Name = "HpcSgd gather ahead" };
        started = startHelper;
        if (startHelper)
        {
            thread.Start();
        }
    }

    /// <summary>Rows per chunk for samples of <paramref name="rowFloats"/> floats (features and target).</summary>
    internal static int ChunkRows(int rowFloats)
    {
        int rows = ChunkBytes / (Math.Max(1, rowFloats) * sizeof(float));
        return Math.Max(ChunkRowMultiple, rows / ChunkRowMultiple * ChunkRowMultiple);
    }

    /// <summary>True until the helper thread has stopped.</summary>
    public bool IsRunning => thread.IsAlive;

    /// <summary>Bytes the helper thread allocated while gathering (for allocation tests).</summary>
    public long Allocated => Volatile.Read(ref allocated);

    /// <summary>Chunks the step copied itself because the helper had not claimed them (for tests).</summary>
    public long ChunksGatheredByStep { get; private set; }

    /// <summary>The sample indices of slot <paramref name="slot"/>'s batch.</summary>
    public ReadOnlySpan<int> Indices(int slot) => slots[slot].Indices.AsSpan(0, slots[slot].Count);

    /// <summary>The gathered inputs of slot <paramref name="slot"/> (valid after <see cref="Wait"/>).</summary>
    public Span<float> Inputs(int slot) => slots[slot].Inputs.Slice(0, slots[slot].Count * TModel.Description.InputCount);

    /// <summary>The gathered targets of slot <paramref name="slot"/> (valid after <see cref="Wait"/>).</summary>
    public Span<float> Targets(int slot) => slots[slot].Targets.Slice(0, slots[slot].Count * TModel.Description.TargetWidth);

    /// <summary>Batch buffers in the ring.</summary>
    public int Depth => slots.Length;

    /// <summary>
    /// Asks for the samples <paramref name="indices"/> (copied) to be gathered into the next slot, which it returns.
    /// Slots go round the ring, so at most <see cref="Depth"/> requests may be outstanding, and a slot is reused only
    /// after the step has used its rows.
    /// </summary>
    public int Request(ReadOnlySpan<int> indices)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int slot = (int)(requests % slots.Length);
        Slot s = slots[slot];
        indices.CopyTo(s.Indices);
        s.Count = indices.Length;
        s.Chunks = (indices.Length + chunkRows - 1) / chunkRows;
        s.DoneChunks = 0;
        s.Failure = null;
        Volatile.Write(ref s.NextChunk, 0); // opens the chunks to claims
        Interlocked.Increment(ref requests);
        if (Interlocked.Exchange(ref helperSleeping, 0) == 1)
        {
            wake.Release();
        }
        return slot;
    }

    /// <summary>
    /// Returns the slot of the oldest outstanding request once its rows are gathered: the step copies the chunks the helper
    /// has not claimed, then waits for those the helper is copying. Rethrows what either thread's copy threw.
    /// </summary>
    public int Wait()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int slot = (int)((Interlocked.Increment(ref taken) - 1) % slots.Length);
        Slot s = slots[slot];
        try
        {
            while (CopyChunk(s))
            {
                ChunksGatheredByStep++;
            }
            // Spin, yielding now and then but never sleeping: SpinWait's sleep would cost more than any chunk's copy.
            var spinner = new SpinWait();
            while (Volatile.Read(ref s.DoneChunks) != s.Chunks)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                spinner.SpinOnce(sleep1Threshold: -1);
            }
            s.Failure?.Throw();
            return slot;
        }
        finally
        {
            Volatile.Write(ref s.NextChunk, Slot.Closed);
        }
    }

    /// <summary>Claims the next chunk of <paramref name="s"/> and copies its rows; false when every chunk is claimed.</summary>
    private bool CopyChunk(Slot s)
    {
        int chunk = Interlocked.Increment(ref s.NextChunk) - 1;
        if (chunk >= s.Chunks)
        {
            return false;
        }
        // The chunk's own parts of the buffers: a narrow gather stores whole vectors past a row only inside the span it gets,
        // so two threads never write the same element.
        int first = chunk * chunkRows, rows = Math.Min(chunkRows, s.Count - first);
        int inputWidth = TModel.Description.InputCount, targetWidth = TModel.Description.TargetWidth;
        try
        {
            gather.Rows(s.Indices.AsSpan(first, rows), s.Inputs.Slice(first * inputWidth, rows * inputWidth), s.Targets.Slice(first * targetWidth, rows * targetWidth));
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref s.Failure, ExceptionDispatchInfo.Capture(e), null);
        }
        Interlocked.Increment(ref s.DoneChunks);
        return true;
    }

    private void Loop()
    {
        long next = 0;
        while (!disposed)
        {
            // Requests the step has begun to take are its own: the helper goes on from the oldest it may still claim.
            next = Math.Max(next, Volatile.Read(ref taken));
            if (next >= Volatile.Read(ref requests))
            {
                AwaitRequest(next);
                continue;
            }
            // Chunks of this piece until all are claimed or the step has begun to take it (then its chunks are the step's
            // and the helper gets ahead). A helper that fell a whole ring behind may claim chunks of a slot requested
            // again since: it then gathers that later request, which is as good.
            Slot s = slots[next % slots.Length];
            long before = GC.GetAllocatedBytesForCurrentThread();
            while (!disposed && Volatile.Read(ref taken) <= next && CopyChunk(s))
            {
            }
            Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            next++;
        }
    }

    /// <summary>Spins for a request after <paramref name="next"/>, then sleeps until <see cref="Request"/> or <see cref="Dispose"/> wakes it.</summary>
    private void AwaitRequest(long next)
    {
        // SpinWait yields the core now and then: when the scheduler has put both threads on one core, a plain spin
        // kept the step from running (benchmarks/README.md, issue #13).
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = new SpinWait();
        while (Volatile.Read(ref requests) <= next && !disposed)
        {
            if (Stopwatch.GetTimestamp() >= until)
            {
                // Announce the sleep, then look once more: a request made before the announcement is seen here, one
                // made after it finds the flag set and releases the semaphore.
                Interlocked.Exchange(ref helperSleeping, 1);
                if (Volatile.Read(ref requests) <= next && !disposed)
                {
                    wake.Wait();
                }
                Interlocked.Exchange(ref helperSleeping, 0);
                return;
            }
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// Stops the helper thread after the chunk it is copying, if any; a thread waiting in <see cref="Wait"/> then gets
    /// <see cref="ObjectDisposedException"/>. The semaphore holds no wait handle, so nothing else needs releasing.
    /// </summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        wake.Release();
        if (started)
        {
            thread.Join();
        }
    }

    /// <summary>
    /// One request's buffers and the claims on its chunks. <see cref="NextChunk"/> only grows while the request is open;
    /// the step closes it by setting it far past any chunk count, so a claim that comes late (a helper still looking
    /// at an old request) finds nothing until the next request reopens it.
    /// </summary>
    private sealed class Slot(int batch)
    {
        public const int Closed = 1 << 30;
        public readonly AlignedFloats Inputs = new(batch * TModel.Description.InputCount);
        public readonly AlignedFloats Targets = new(batch * TModel.Description.TargetWidth);
        public readonly int[] Indices = new int[batch];
        public int Count;
        public int Chunks;
        public int NextChunk = Closed;
        public int DoneChunks;
        public ExceptionDispatchInfo? Failure;
    }
}
