using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>
/// Gathers coming batches' rows on a helper thread while the current step computes (a ring of batch buffers used in
/// turn), so a step whose rows come from a data set larger than the caches waits for memory only when the gather
/// takes longer than the kernels. A piece is copied in chunks that either thread claims: a step never waits for the
/// helper to be scheduled or to finish a piece it is slow at (on a shared machine its copies can take several times
/// the step's own); it copies the chunks nobody has claimed and waits only for those being copied. Rows stored as bytes
/// are gathered by the helper only while its core shares a cache with the step's (<see cref="PlacementProbe"/>): from a
/// core farther away, the floats it writes cost the step more to read than the bytes cost to gather.
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

    /// <summary>How long a helper the step gathers for stays awake after a probe: a few of the step's probe intervals.</summary>
    private static readonly long FarSpinTicks = 3 * Stopwatch.Frequency / 500;

    /// <summary>How long the step waits for the helper to answer a placement probe.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMicroseconds(10);

    private readonly BatchGather<TModel> gather;
    private readonly Slot[] slots;
    private readonly AlignedFloats stepInputs, stepTargets; // where the step gathers a piece the helper left whole
    private readonly int chunkRows;
    private readonly SemaphoreSlim wake = new(0);
    private readonly Thread thread;
    private readonly bool started;
    private GatherAheadShared shared;
    private long allocated;
    private readonly PlacementProbe placement = new();
    private long nextProbe; // the step's clock for its next probe
    private readonly bool probing; // the helper runs, and where the batch comes from matters to the step
    private readonly bool leaveFarPiecesToStep;

    /// <param name="gather">Copies a batch's rows.</param>
    /// <param name="batch">The most samples one request holds: a batch, or a chunk of one when the session chunks batches.</param>
    /// <param name="depth">Buffers in the ring (at least 2): one for the step that computes, the others for requests.</param>
    /// <param name="startHelper">False leaves the helper thread unstarted, so the step gathers every piece itself (for tests).</param>
    /// <param name="chunkRows">Rows per claimed chunk; by default a multiple of 16 rows near 64 KiB.</param>
    /// <param name="leaveFarPiecesToStep">True: a piece the step takes whole while the helper's core is far is left
    /// ungathered (<see cref="IsLeftToStep"/>), for the step's kernels to read as byte rows; false: gathered into the
    /// step's own buffers.</param>
    public GatherAhead(BatchGather<TModel> gather, int batch, int depth, bool startHelper = true, int chunkRows = 0, bool leaveFarPiecesToStep = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkRows);
        this.gather = gather;
        this.leaveFarPiecesToStep = leaveFarPiecesToStep;
        this.chunkRows = chunkRows > 0 ? chunkRows : ChunkRows(TModel.Description.InputCount + TModel.Description.TargetWidth);
        shared.HelperClaims = 1;
        stepInputs = new AlignedFloats(batch * TModel.Description.InputCount);
        stepTargets = new AlignedFloats(batch * TModel.Description.TargetWidth);
        slots = new Slot[depth];
        for (int s = 0; s < slots.Length; s++)
        {
            slots[s] = new Slot(batch);
        }
        thread = new Thread(Loop) { IsBackground = true, Name = "HpcSgd gather ahead" };
        started = startHelper;
        probing = startHelper && PlacementProbe.Matters(TModel.Description);
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

    /// <summary>How often the step measures how far the helper's core is (<see cref="Stopwatch"/> ticks; settable for tests).</summary>
    internal long ProbeIntervalTicks { get; init; } = Stopwatch.Frequency / 500;

    /// <summary>Round trips shorter than this many nanoseconds count as near (settable for tests).</summary>
    internal double NearNanoseconds { get; init; } = PlacementProbe.NearNanoseconds;

    /// <summary>Placement probes the helper answered: from a core sharing a cache with the step's, and from one farther away.</summary>
    public (long Near, long Far) Probes => (probesNear, probesFar);

    private long probesNear, probesFar;

    /// <summary>The sample indices of slot <paramref name="slot"/>'s batch.</summary>
    public ReadOnlySpan<int> Indices(int slot) => slots[slot].Indices.AsSpan(0, slots[slot].Count);

    /// <summary>
    /// True when slot <paramref name="slot"/>'s rows were left to the step (taken whole while the helper's core was far,
    /// see the constructor): <see cref="Inputs"/> and <see cref="Targets"/> are then the step's own buffers, not yet written.
    /// </summary>
    public bool IsLeftToStep(int slot) => slots[slot].LeftToStep;

    /// <summary>The gathered inputs of slot <paramref name="slot"/> (valid after <see cref="Wait"/>).</summary>
    public Span<float> Inputs(int slot) => (slots[slot].InStepBuffers ? stepInputs : slots[slot].Inputs).Slice(0, slots[slot].Count * TModel.Description.InputCount);

    /// <summary>The gathered targets of slot <paramref name="slot"/> (valid after <see cref="Wait"/>).</summary>
    public Span<float> Targets(int slot) => (slots[slot].InStepBuffers ? stepTargets : slots[slot].Targets).Slice(0, slots[slot].Count * TModel.Description.TargetWidth);

    /// <summary>Batch buffers in the ring.</summary>
    public int Depth => slots.Length;

    /// <summary>
    /// Asks for the samples <paramref name="indices"/> (copied) to be gathered into the next slot, which it returns.
    /// Slots go round the ring, so at most <see cref="Depth"/> requests may be outstanding, and a slot is reused only
    /// after the step has used its rows.
    /// </summary>
    public int Request(ReadOnlySpan<int> indices)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        int slot = (int)(shared.Requests % slots.Length);
        Slot s = slots[slot];
        indices.CopyTo(s.Indices);
        s.Count = indices.Length;
        s.Chunks = (indices.Length + chunkRows - 1) / chunkRows;
        s.DoneChunks = 0;
        s.Failure = null;
        s.InStepBuffers = false;
        s.LeftToStep = false;
        Volatile.Write(ref s.NextChunk, 0); // opens the chunks to claims
        Interlocked.Increment(ref shared.Requests);
        // Read first: a write here would take the line from the helper's cache on every request.
        if (Volatile.Read(ref shared.HelperSleeping) == 1 && Interlocked.Exchange(ref shared.HelperSleeping, 0) == 1)
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
        ObjectDisposedException.ThrowIf(Disposed, this);
        int slot = (int)((Interlocked.Increment(ref shared.Taken) - 1) % slots.Length);
        Slot s = slots[slot];
        try
        {
            ProbePlacement();
            if (!HelperClaims && Interlocked.CompareExchange(ref s.NextChunk, Slot.Closed, 0) == 0)
            {
                // Nothing of it claimed by the helper: gathered whole into the step's own buffers, which stay in its
                // cache, where the ring's slots (twice the L2) would each be written cold; or left to the step's kernels.
                s.InStepBuffers = true;
                s.LeftToStep = leaveFarPiecesToStep;
                if (!s.LeftToStep)
                {
                    gather.Rows(s.Indices.AsSpan(0, s.Count), stepInputs.Slice(0, s.Count * TModel.Description.InputCount),
                        stepTargets.Slice(0, s.Count * TModel.Description.TargetWidth));
                }
                ChunksGatheredByStep += s.Chunks;
                return slot;
            }
            while (CopyChunk(s))
            {
                ChunksGatheredByStep++;
            }
            // Spin, yielding now and then but never sleeping: SpinWait's sleep would cost more than any chunk's copy.
            var spinner = new SpinWait();
            while (Volatile.Read(ref s.DoneChunks) != s.Chunks)
            {
                ObjectDisposedException.ThrowIf(Disposed, this);
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

    /// <summary>
    /// Every few milliseconds, while rows stored as bytes are gathered and the helper is awake, measures how far its core
    /// is and lets it claim chunks only while it is near.
    /// </summary>
    private void ProbePlacement()
    {
        if (!probing || !gather.WidensBytes)
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        if (now < nextProbe || Volatile.Read(ref shared.HelperSleeping) == 1)
        {
            return;
        }
        nextProbe = now + ProbeIntervalTicks;
        double roundTrip = placement.Measure(ProbeTimeout);
        if (roundTrip >= 0)
        {
            bool near = roundTrip < NearNanoseconds;
            if (near)
            {
                probesNear++;
            }
            else
            {
                probesFar++;
            }
            Volatile.Write(ref shared.HelperClaims, near ? 1 : 0);
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
        while (!Disposed)
        {
            placement.Answer();
            // Requests the step has begun to take are its own: the helper goes on from the oldest it may still claim.
            next = Math.Max(next, Volatile.Read(ref shared.Taken));
            if (next >= Volatile.Read(ref shared.Requests) || !HelperClaims)
            {
                AwaitRequest(next);
                continue;
            }
            // Chunks of this piece until all are claimed or the step has begun to take it (then its chunks are the step's
            // and the helper gets ahead). A helper that fell a whole ring behind may claim chunks of a slot requested
            // again since: it then gathers that later request, which is as good.
            Slot s = slots[next % slots.Length];
            long before = GC.GetAllocatedBytesForCurrentThread();
            while (!Disposed && Volatile.Read(ref shared.Taken) <= next && HelperClaims && CopyChunk(s))
            {
                placement.Answer();
            }
            Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            next++;
        }
    }

    /// <summary>
    /// Spins for a request after <paramref name="next"/> it may claim, answering placement probes, then sleeps until
    /// <see cref="Request"/> or <see cref="Dispose"/> wakes it. While the step gathers itself, the helper stays awake as
    /// long as probes keep coming (a halted vCPU is what the host seems to move) and reads nothing else the step writes.
    /// </summary>
    private void AwaitRequest(long next)
    {
        // SpinWait yields the core now and then: when the scheduler has put both threads on one core, a plain spin
        // kept the step from running (benchmarks/README.md, issue #13).
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = new SpinWait();
        while (!Disposed)
        {
            bool claims = HelperClaims;
            if (claims && Volatile.Read(ref shared.Requests) > next)
            {
                return;
            }
            if (placement.Answer())
            {
                spinner.Reset();
                until = Math.Max(until, Stopwatch.GetTimestamp() + (claims ? SpinTicks : FarSpinTicks));
            }
            if (Stopwatch.GetTimestamp() >= until)
            {
                // Announce the sleep, then look once more: a request made before the announcement is seen here, one
                // made after it finds the flag set and releases the semaphore. Left to the step, the helper sleeps
                // until the next request.
                Interlocked.Exchange(ref shared.HelperSleeping, 1);
                if ((!HelperClaims || Volatile.Read(ref shared.Requests) <= next) && !Disposed)
                {
                    wake.Wait();
                }
                Interlocked.Exchange(ref shared.HelperSleeping, 0);
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
        if (Disposed)
        {
            return;
        }
        Volatile.Write(ref shared.Disposed, 1);
        wake.Release();
        if (started)
        {
            thread.Join();
        }
    }

    private bool HelperClaims => Volatile.Read(ref shared.HelperClaims) != 0;

    private bool Disposed => Volatile.Read(ref shared.Disposed) != 0;

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
        public bool InStepBuffers; // gathered whole by the step into its own buffers
        public bool LeftToStep; // ... or left for the step to gather there (its kernels read byte rows)
    }
}

/// <summary>
/// What the step and the helper of <see cref="GatherAhead{TModel}"/> both read, on lines of their own: the counters
/// the step writes with every piece, and the flags it writes rarely, which a helper left without work polls (from a
/// far core, every line the step writes while the helper reads it costs the step a round trip).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct GatherAheadShared
{
    [FieldOffset(64)] public long Requests; // requests made so far; slot of request n: n % Depth
    [FieldOffset(72)] public long Taken; // requests the step has begun to take
    [FieldOffset(128)] public int HelperSleeping;
    [FieldOffset(132)] public int HelperClaims; // 0 while the step gathers byte rows itself (the helper's core is far)
    [FieldOffset(136)] public int Disposed;
}
