using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace HpcSgd.Training;

/// <summary>Work that a <see cref="WorkerPool"/> runs on all its workers at once; each call gets its worker index.</summary>
public interface IParallelWork
{
    /// <summary>Does worker <paramref name="worker"/>'s share (0 &lt;= worker &lt; <paramref name="workers"/>).</summary>
    void Execute(int worker, int workers);
}

/// <summary>
/// A persistent pool: the calling thread is worker 0 and <c>workers - 1</c> background threads wait on a barrier
/// between runs, so <see cref="Run"/> neither creates threads nor allocates. The work decides how to split itself by
/// worker index, which keeps results independent of which thread finishes first. <see cref="Dispose"/> may come from
/// any thread at any time: it lets a run in progress finish, then stops the workers; later runs throw
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private readonly Thread[] threads;
    private readonly Barrier barrier;
    private readonly long[] allocatedOnWorkers;
    private IParallelWork? work;
    private readonly object gate = new();
    private ExceptionDispatchInfo? failure;
    private bool disposed;
    private bool running;
    private int runningThread;
    private bool released;
    private volatile bool stopping; // set only once no run is in progress: the workers' signal to leave

    /// <summary>Starts <paramref name="workers"/> - 1 background threads.</summary>
    public WorkerPool(int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        Workers = workers;
        barrier = new Barrier(workers);
        allocatedOnWorkers = new long[workers];
        threads = new Thread[workers - 1];
        for (int i = 0; i < threads.Length; i++)
        {
            int worker = i + 1;
            threads[i] = new Thread(() => Loop(worker)) { IsBackground = true, Name = $"HpcSgd worker {worker}" };
            threads[i].Start();
        }
    }

    /// <summary>Threads taking part in a run, the caller included.</summary>
    public int Workers { get; }

    /// <summary>Bytes the background workers allocated inside <see cref="IParallelWork.Execute"/> so far (for allocation tests).</summary>
    internal long AllocatedOnWorkers
    {
        get
        {
            long total = 0;
            for (int i = 0; i < allocatedOnWorkers.Length; i++)
            {
                total += Volatile.Read(ref allocatedOnWorkers[i]);
            }
            return total;
        }
    }

    /// <summary>
    /// Runs <paramref name="parallelWork"/> on every worker and returns when all are done; rethrows a worker's exception.
    /// One run at a time: the pool is driven by one thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(IParallelWork parallelWork)
    {
        ArgumentNullException.ThrowIfNull(parallelWork);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            running = true;
            runningThread = Environment.CurrentManagedThreadId;
        }
        try
        {
            if (Workers == 1)
            {
                parallelWork.Execute(0, 1);
                return;
            }
            work = parallelWork;
            failure = null;
            barrier.SignalAndWait();
            try
            {
                parallelWork.Execute(0, Workers);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            }
            barrier.SignalAndWait();
            work = null;
            failure?.Throw();
        }
        finally
        {
            bool release;
            lock (gate)
            {
                running = false;
                // Disposed from inside the run (e.g. a progress callback): the run itself stops the workers on its way out.
                release = disposed && !released;
                released |= release;
                Monitor.PulseAll(gate);
            }
            if (release)
            {
                StopWorkers();
            }
        }
    }

    /// <summary>Background threads still alive (for tests of <see cref="Dispose"/>).</summary>
    internal int ThreadsAlive => threads.Count(t => t.IsAlive);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Loop(int worker)
    {
        while (true)
        {
            barrier.SignalAndWait();
            if (stopping)
            {
                return;
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                work!.Execute(worker, Workers);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
            }
            allocatedOnWorkers[worker] += GC.GetAllocatedBytesForCurrentThread() - before;
            barrier.SignalAndWait();
        }
    }

    /// <summary>
    /// Stops the background threads, from any thread: a run in progress on another thread finishes first (Dispose waits
    /// for it); called from inside a run, the run stops them as it returns.
    /// </summary>
    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            if (running && runningThread == Environment.CurrentManagedThreadId)
            {
                return;
            }
            while (running)
            {
                Monitor.Wait(gate);
            }
            if (released)
            {
                return;
            }
            released = true;
        }
        StopWorkers();
    }

    /// <summary>Wakes the workers with <see cref="stopping"/> set and waits for them to leave; only when no run is in progress.</summary>
    private void StopWorkers()
    {
        stopping = true;
        if (threads.Length > 0)
        {
            barrier.SignalAndWait();
            foreach (Thread thread in threads)
            {
                thread.Join();
            }
        }
        barrier.Dispose();
    }
}
