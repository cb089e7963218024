using System.Diagnostics;
using System.Runtime.ExceptionServices;
using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>
/// Gathers coming batches' rows on a helper thread while the current step computes (a ring of batch buffers used in
/// turn), so a step whose rows come from a data set larger than the caches waits for memory only when the gather
/// takes longer than the kernels. A step never waits for the helper to be scheduled: a piece the helper has not started
/// yet is gathered by the step itself (the helper may be asleep, which a virtual machine can take long to end, or share
/// the step's core); only a piece the helper is copying is waited for.
/// </summary>
internal sealed class GatherAhead<TModel> : IDisposable where TModel : ISgdModel<TModel>
{
    /// <summary>How long the helper spins for a request before it blocks (a pause between steps, or the end of training).</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000;

    // A slot's life: Free -> Requested (the step) -> Copying (whichever thread claims it first) -> Gathered -> Free (the step takes it).
    private const int Free = 0, Requested = 1, Copying = 2, Gathered = 3;

    private readonly BatchGather<TModel> gather;
    private readonly Slot[] slots;
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
    public GatherAhead(BatchGather<TModel> gather, int batch, int depth, bool startHelper = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 2);
        this.gather = gather;
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

    /// <summary>True until the helper thread has stopped.</summary>
    public bool IsRunning => thread.IsAlive;

    /// <summary>Bytes the helper thread allocated while gathering (for allocation tests).</summary>
    public long Allocated => Volatile.Read(ref allocated);

    /// <summary>Pieces the step gathered itself because the helper had not started them (for tests).</summary>
    public long GatheredByStep { get; private set; }

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
        indices.CopyTo(slots[slot].Indices);
        slots[slot].Count = indices.Length;
        Volatile.Write(ref slots[slot].State, Requested);
        Interlocked.Increment(ref requests);
        if (Interlocked.Exchange(ref helperSleeping, 0) == 1)
        {
            wake.Release();
        }
        return slot;
    }

    /// <summary>
    /// Returns the slot of the oldest outstanding request once its rows are gathered: by the step itself when the helper
    /// has not started it, else after the helper's copy. Rethrows what the helper threw.
    /// </summary>
    public int Wait()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int slot = (int)((Interlocked.Increment(ref taken) - 1) % slots.Length);
        Slot s = slots[slot];
        try
        {
            if (Interlocked.CompareExchange(ref s.State, Copying, Requested) == Requested)
            {
                gather.Rows(Indices(slot), Inputs(slot), Targets(slot));
                GatheredByStep++;
                return slot;
            }
            // The helper is copying this piece: spin, yielding now and then but never sleeping (SpinWait's sleep would
            // cost more than any copy).
            var spinner = new SpinWait();
            while (Volatile.Read(ref s.State) != Gathered)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                spinner.SpinOnce(sleep1Threshold: -1);
            }
            s.Failure?.Throw();
            return slot;
        }
        finally
        {
            Volatile.Write(ref s.State, Free);
        }
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
            int slot = (int)(next++ % slots.Length);
            Slot s = slots[slot];
            // Claimed by the step already: go on. (A helper that fell a whole ring behind may claim a slot requested
            // again since; it then gathers that later request, which is as good.)
            if (Interlocked.CompareExchange(ref s.State, Copying, Requested) != Requested)
            {
                continue;
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            s.Failure = null;
            try
            {
                gather.Rows(Indices(slot), Inputs(slot), Targets(slot));
            }
            catch (Exception e)
            {
                s.Failure = ExceptionDispatchInfo.Capture(e);
            }
            Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Volatile.Write(ref s.State, Gathered);
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
    /// Stops the helper thread after the piece it is copying, if any; a thread waiting in <see cref="Wait"/> then gets
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

    private sealed class Slot(int batch)
    {
        public readonly AlignedFloats Inputs = new(batch * TModel.Description.InputCount);
        public readonly AlignedFloats Targets = new(batch * TModel.Description.TargetWidth);
        public readonly int[] Indices = new int[batch];
        public int Count;
        public int State;
        public ExceptionDispatchInfo? Failure;
    }
}
