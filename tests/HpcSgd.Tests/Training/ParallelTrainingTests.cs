using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>Multi-threaded steps: deterministic whatever the scheduling, equal to one thread up to rounding, allocation-free.</summary>
public class ParallelTrainingTests
{
    /// <summary>Two groupings of the same float sums: relative differences of a few ulps per step, compounding over steps.</summary>
    private const float ThreadCountTolerance = 1e-4f;

    private static (Model<TiledMlp> Model, TrainingSession<TiledMlp> Session) Session(int threads, int batch, ulong seed = 9, int steps = 40, int? chunk = null, bool ahead = false)
    {
        (float[] x, float[] y) = TestData.Batch(TiledMlp.Description, 1000, seed: 4);
        var model = new Model<TiledMlp>(seed: 2);
        var options = new TrainingOptions { LearningRate = 0.05f, BatchSize = batch, Steps = steps, Seed = seed, Threads = threads, Momentum = 0.5f, ChunkSize = chunk, GatherAhead = ahead };
        return (model, new TrainingSession<TiledMlp>(model, new Dataset<TiledMlp>(x, y), options));
    }

    [Theory]
    [InlineData(2, 300)]
    [InlineData(3, 300)]
    [InlineData(2, 7)] // odd batch: chunks of 4 and 3, general-path kernels
    [InlineData(2, 300, 64)] // each worker's 150 rows in chunks of 64, 64 and 22, added to its buffer in the kernels
    public void ManyThreads_AreBitForBitRepeatable_AndMatchOneThread(int threads, int batch, int? chunk = null)
    {
        float[] Train(int t)
        {
            (Model<TiledMlp> model, TrainingSession<TiledMlp> session) = Session(t, batch, chunk: chunk);
            using (session)
            {
                Assert.Equal(TrainingStatus.Completed, session.Run().Status);
            }
            return model.Parameters.ToArray();
        }

        float[] single = Train(1);
        float[] first = Train(threads);
        for (int repeat = 0; repeat < 3; repeat++)
        {
            Assert.Equal(first, Train(threads));
        }
        for (int i = 0; i < single.Length; i++)
        {
            Tolerance.AssertClose(single[i], first[i], ThreadCountTolerance, ThreadCountTolerance, $"parameter {i}, {threads} threads vs 1");
        }
    }

    [Fact]
    public void ManyThreads_LossEqualsOneThreadsLoss_OnTheSameBatch()
    {
        (_, TrainingSession<TiledMlp> one) = Session(1, 300);
        (_, TrainingSession<TiledMlp> two) = Session(2, 300);
        using (one)
        using (two)
        {
            one.Step();
            two.Step();
            Assert.Equal(one.LastBatchIndices.ToArray(), two.LastBatchIndices.ToArray());
            Tolerance.AssertKernelClose(one.LastLoss, two.LastLoss, "mean loss of the first batch");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(64)] // each worker's part in chunks added to its buffer
    public void ManyThreads_AllocateNothingPerStep_OnAnyThread(int? chunk)
    {
        (_, TrainingSession<TiledMlp> session) = Session(2, 300, steps: 400, chunk: chunk);
        using (session)
        {
            SessionAllocations.AssertNoneOnAnyThread(session, warmUp: 150, steps: 200);
        }
    }

    [Fact]
    public async Task Dispose_from_another_thread_while_running_returns_and_stops_the_workers()
    {
        // Issue #16 item 7: Dispose during a run could hang, or crash the process from a worker thread.
        var random = new Random(7);
        for (int attempt = 0; attempt < 40; attempt++)
        {
            // Odd attempts: one thread with the gather-ahead helper instead of a worker pool.
            (_, TrainingSession<TiledMlp> session) = attempt % 2 == 0 ? Session(2, 300, steps: 1_000_000) : Session(1, 300, steps: 1_000_000, ahead: true);
            Task<TrainingResult> training = Task.Factory.StartNew(() => session.Run(), TaskCreationOptions.LongRunning);
            await Task.Delay(random.Next(0, 15));
            await Task.Run(session.Dispose).WaitAsync(TimeSpan.FromSeconds(10)); // TimeoutException if it hangs
            // The training thread ends at its next use of the workers, with ObjectDisposedException.
            Exception? ended = await Record.ExceptionAsync(() => training.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.True(ended is null or ObjectDisposedException, $"attempt {attempt}: {ended}");
            Assert.Equal(0, session.WorkerThreadsAlive);
            Assert.False(session.GatherAheadRunning);
            session.Dispose(); // again: harmless
        }
    }

    [Fact]
    public void Dispose_from_a_progress_callback_stops_the_run_cleanly()
    {
        TrainingSession<TiledMlp>? session = null;
        (float[] x, float[] y) = TestData.Batch(TiledMlp.Description, 1000, seed: 4);
        var options = new TrainingOptions { LearningRate = 0.05f, BatchSize = 300, Steps = 100, Threads = 2, ProgressInterval = 5, Progress = p => session!.Dispose() };
        session = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), new Dataset<TiledMlp>(x, y), options);
        Assert.Throws<ObjectDisposedException>(() => session.Run());
        Assert.Equal(5, session.StepsDone);
        Assert.Equal(0, session.WorkerThreadsAlive);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(301)]
    public void ThreadCount_OutOfRange_IsRejectedByName(int threads)
    {
        var options = new TrainingOptions { LearningRate = 0.1f, BatchSize = 300, Steps = 1, Threads = threads };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate(1000));
        Assert.Equal("Threads", error.ParamName);
        Assert.Contains("from 1 to the batch size (300)", error.Message);
    }
}

public class WorkerPoolTests
{
    private sealed class Record : IParallelWork
    {
        public readonly int[] Calls = new int[4];
        public int ThrowOn = -1;

        public void Execute(int worker, int workers)
        {
            Assert.Equal(4, workers);
            Interlocked.Increment(ref Calls[worker]);
            if (worker == ThrowOn)
            {
                throw new InvalidOperationException($"worker {worker} failed");
            }
        }
    }

    [Fact]
    public void Run_CallsEveryWorkerOnce_AndRethrowsAWorkersException_ThenStillWorks()
    {
        using var pool = new WorkerPool(4);
        var work = new Record();
        pool.Run(work);
        Assert.Equal([1, 1, 1, 1], work.Calls);

        work.ThrowOn = 2;
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(work));
        Assert.Equal("worker 2 failed", error.Message);
        Assert.Equal([2, 2, 2, 2], work.Calls);

        work.ThrowOn = -1;
        pool.Run(work);
        Assert.Equal([3, 3, 3, 3], work.Calls);
    }

    [Fact]
    public void Disposed_PoolRefusesWork()
    {
        var pool = new WorkerPool(2);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Run(new Record()));
    }
}
