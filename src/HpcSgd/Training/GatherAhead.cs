using System.Diagnostics;
using System.Runtime.ExceptionServices;
using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>
/// Gathers the next batch's rows on a helper thread while the current step computes (two batch buffers used in
/// turn), so a step whose rows come from a data set larger than the caches waits for memory only when the gather
/// takes longer than the kernels. Each side hands over with a counting semaphore it spins on before blocking: a short
/// step would otherwise wait for a sleeping thread to wake.
/// </summary>
internal sealed class GatherAhead<TModel> : IDisposable where TModel : ISgdModel<TModel>
{
    /// <summary>How long a side spins for the other before it blocks (a pause between steps, or the end of training).</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000;

    private readonly BatchGather<TModel> gather;
    private readonly Slot[] slots = new Slot[2];
    private readonly SemaphoreSlim requested = new(0);
    private readonly SemaphoreSlim gathered = new(0);
    private readonly Thread thread;
    private ExceptionDispatchInfo? failure;
    private long allocated;
    private int nextRequest;
    private int nextReady;
    private int helperSlot; // the helper serves requests in order, so it alternates as they do
    private volatile bool disposed;

    public GatherAhead(BatchGather<TModel> gather, int batch)
    {
        this.gather = gather;
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

    /// <summary>
    /// Asks the helper to gather the samples <paramref name="indices"/> (copied) into the next slot, which it returns.
    /// Slots alternate, so at most two requests may be outstanding, and a slot is reused only after its batch's step.
    /// </summary>
    public int Request(ReadOnlySpan<int> indices)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        int slot = nextRequest;
        nextRequest ^= 1;
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
        nextReady ^= 1;
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
            helperSlot ^= 1;
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
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        while (semaphore.CurrentCount == 0 && Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(8);
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
