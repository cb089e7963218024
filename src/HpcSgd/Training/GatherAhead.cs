using System.Diagnostics;
using System.Runtime.ExceptionServices;
using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>
/// Gathers coming batches' rows on a helper thread while the current step computes (a ring of batch buffers used in
/// turn), so a step whose rows come from a data set larger than the caches waits for memory only when the gather
/// takes longer than the kernels. Each side hands over with a counting semaphore it spins on before blocking: a short
/// step would otherwise wait for a sleeping thread to wake.
/// </summary>
internal sealed class GatherAhead<TModel> : IDisposable where TModel : ISgdModel<TModel>
{
    /// <summary>How long a side spins for the other before it blocks (a pause between steps, or the end of training).</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000;

    private readonly BatchGather<TModel> gather;
    private readonly Slot[] slots;
    private readonly SemaphoreSlim requested = new(0);
    private readonly SemaphoreSlim gathered = new(0);
    private readonly Thread thread;
    private ExceptionDispatchInfo? failure;
    private long allocated;
    private int nextRequest;
    private int nextReady;
    private int helperSlot; // the helper serves requests in order, so it goes round the ring as they do
    private volatile bool disposed;

    /// <param name="gather">Copies a batch's rows.</param>
    /// <param name="batch">The most samples one request holds: a batch, or a chunk of one when the session chunks batches.</param>
    /// <param name="depth">Buffers in the ring (at least 2): one for the step that computes, the others for requests.</param>
    public GatherAhead(BatchGather<TModel> gather, int batch, int depth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 2);
        this.gather = gather;
        slots = new Slot[depth];
        for (int s = 0; s < slots.Length; s++)
        {
            slots[s] = new Slot(batch);
        }
        thread = new Thread(Loop) { IsBackground = true, Name = "HpcSgd gather ahead" };
        thread.Start();
    }

    /// <summary>True until the helper thread has stopped.</summary>
    public bool IsRunning => thread.IsAlive;

    /// <summary>Bytes the helper thread allocated while gathering (for allocation tests).</summary>
    public long Allocated => Volatile.Read(ref allocated);

    /// <summary>The sample indices of slot <paramref name="slot"/>'s batch.</summary>
    public ReadOnlySpan<int> Indices(int slot) => slots[slot].Indices.AsSpan(0, slots[slot].Count);

    /// <summary>The gathered inputs of slot <paramref name="slot"/> (valid after <see cref="Wait"/>).</summary>
    public Span<float> Inputs(int slot) => slots[slot].Inputs.Slice(0, slots[slot].Count * TModel.Description.InputCount);

    /// <summary>The gathered targets of slot <paramref name="slot"/> (valid after <see cref="Wait"/>).</summary>
    public Span<float> Targets(int slot) => slots[slot].Targets.Slice(0, slots[slot].Count * TModel.Description.TargetWidth);

    /// <summary>Batch buffers in the ring.</summary>
    public int Depth => slots.Length;

    /// <summary>
    /// Asks the helper to gather the samples <paramref name="indices"/> (copied) into the next slot, which it returns.
    /// Slots go round the ring, so at most <see cref="Depth"/> requests may be outstanding, and a slot is reused only
    /// after the step has used its rows.
    /// </summary>
    public int Request(ReadOnlySpan<int> indices)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int slot = nextRequest;
        nextRequest = (nextRequest + 1) % slots.Length;
        indices.CopyTo(slots[slot].Indices);
        slots[slot].Count = indices.Length;
        requested.Release();
        return slot;
    }

    /// <summary>Waits until the oldest outstanding request is gathered and returns its slot; rethrows what the helper threw.</summary>
    public int Wait()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        SpinThenWait(gathered);
        ObjectDisposedException.ThrowIf(disposed, this);
        failure?.Throw();
        int slot = nextReady;
        nextReady = (nextReady + 1) % slots.Length;
        return slot;
    }

    private void Loop()
    {
        while (true)
        {
            SpinThenWait(requested);
            if (disposed)
            {
                return;
            }
            int slot = helperSlot;
            helperSlot = (helperSlot + 1) % slots.Length;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                gather.Rows(Indices(slot), Inputs(slot), Targets(slot));
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            Interlocked.Add(ref allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            gathered.Release();
        }
    }

    private static void SpinThenWait(SemaphoreSlim semaphore)
    {
        // SpinWait yields the core now and then: when the scheduler has put both threads on one core, a plain spin
        // kept the other side, the one it waits for, from running (benchmarks/README.md, issue #13).
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        var spinner = new SpinWait();
        while (semaphore.CurrentCount == 0 && Stopwatch.GetTimestamp() < until)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        semaphore.Wait();
    }

    /// <summary>
    /// Stops the helper thread after the request it is serving, if any; a thread waiting in <see cref="Wait"/> then gets
    /// <see cref="ObjectDisposedException"/>. The semaphores hold no wait handle, so nothing else needs releasing.
    /// </summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        requested.Release();
        thread.Join();
        gathered.Release();
    }

    private sealed class Slot(int batch)
    {
        public readonly AlignedFloats Inputs = new(batch * TModel.Description.InputCount);
        public readonly AlignedFloats Targets = new(batch * TModel.Description.TargetWidth);
        public readonly int[] Indices = new int[batch];
        public int Count;
    }
}
