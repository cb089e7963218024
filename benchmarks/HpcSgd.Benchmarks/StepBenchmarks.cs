using BenchmarkDotNet.Attributes;
using HpcSgd.Benchmarks.Workloads;

namespace HpcSgd.Benchmarks;

/// <summary>A (workload, batch size) cell of the suite.</summary>
public sealed record Cell(string Workload, int Batch)
{
    public override string ToString() => $"{Workload}/B{Batch}";
}

/// <summary>
/// One training step (draw and gather a batch, forward, loss, gradient, SGD update) per operation, for each workload
/// and batch size of ../shared/WORKLOADS.md: HpcSgd's specialized kernels (the baseline of the ratio column), its
/// general path, and hand-written scalar C# and TensorPrimitives implementations, all single-threaded.
/// </summary>
[MemoryDiagnoser]
public class StepBenchmarks
{
    public static readonly int[] BatchSizes = [1, 8, 32, 128, 512, 2048];

    /// <summary>Batch 64 too for W3 and W4, where the targets and the quality check use it.</summary>
    private static IEnumerable<int> BatchSizesOf(string workload) =>
        workload is "W3" or "W4" ? BatchSizes.Append(64).Order() : BatchSizes;

    private IStepRunner runner = null!;

    /// <summary>Every valid cell, or those HPCSGD_BENCH_CELLS lists (e.g. "W1n100/B8,W3/B32", for the smoke run).</summary>
    public static IEnumerable<Cell> Cells()
    {
        string? only = Environment.GetEnvironmentVariable("HPCSGD_BENCH_CELLS");
        return from workload in WorkloadCatalog.Names
               from batch in BatchSizesOf(workload)
               where batch <= (workload == "W1n100" ? 100 : int.MaxValue)
               let cell = new Cell(workload, batch)
               where string.IsNullOrEmpty(only) || only.Split(',').Contains(cell.ToString())
               select cell;
    }

    [ParamsSource(nameof(Cells))]
    public Cell Case { get; set; } = new("W1", 1);

    [GlobalSetup(Target = nameof(Specialized))]
    public void SetupSpecialized() => Setup("Specialized");

    [GlobalSetup(Target = nameof(General))]
    public void SetupGeneral() => Setup("General");

    [GlobalSetup(Target = nameof(Scalar))]
    public void SetupScalar() => Setup("Scalar");

    [GlobalSetup(Target = nameof(Primitives))]
    public void SetupPrimitives() => Setup("Primitives");

    private void Setup(string method)
    {
        runner = RunnerFactory.Create(method, Case.Workload, Case.Batch);
        for (int i = 0; i < 3; i++)
        {
            runner.Step();
        }
    }

    [Benchmark(Baseline = true, Description = "HpcSgd")]
    public void Specialized() => runner.Step();

    [Benchmark(Description = "HpcSgd general path")]
    public void General() => runner.Step();

    [Benchmark(Description = "scalar C#")]
    public void Scalar() => runner.Step();

    [Benchmark(Description = "TensorPrimitives")]
    public void Primitives() => runner.Step();
}

/// <summary>
/// HpcSgd on one thread against two (TrainingOptions.Threads = 2: the batch split across a persistent worker pool)
/// for the large-batch cells, where a second core can pay off.
/// </summary>
[MemoryDiagnoser]
public class ThreadScalingBenchmarks
{
    private IStepRunner runner = null!;

    public static IEnumerable<Cell> Cells()
    {
        string? only = Environment.GetEnvironmentVariable("HPCSGD_BENCH_CELLS");
        Cell[] cells = [new("W2", 2048), new("W3", 512), new("W3", 2048), new("W4", 512), new("W4", 2048)];
        return cells.Where(c => string.IsNullOrEmpty(only) || only.Split(',').Contains(c.ToString()));
    }

    [ParamsSource(nameof(Cells))]
    public Cell Case { get; set; } = new("W4", 512);

    [GlobalSetup(Target = nameof(OneThread))]
    public void SetupOne() => runner = RunnerFactory.Create("Specialized", Case.Workload, Case.Batch, threads: 1);

    [GlobalSetup(Target = nameof(TwoThreads))]
    public void SetupTwo() => runner = RunnerFactory.Create("Specialized", Case.Workload, Case.Batch, threads: 2);

    [GlobalCleanup]
    public void Cleanup() => (runner as IDisposable)?.Dispose();

    [Benchmark(Baseline = true, Description = "1 thread")]
    public void OneThread() => runner.Step();

    [Benchmark(Description = "2 threads")]
    public void TwoThreads() => runner.Step();
}

/// <summary>
/// Large batches on one thread: one pass over the whole batch (ChunkSize = 0) against the cache-sized chunks the
/// session uses by default once a batch's inputs exceed 4 MiB (W3/W4 at 2048: 6.4 MB).
/// </summary>
[MemoryDiagnoser]
public class ChunkingBenchmarks
{
    private IStepRunner runner = null!;

    public static IEnumerable<Cell> Cells()
    {
        string? only = Environment.GetEnvironmentVariable("HPCSGD_BENCH_CELLS");
        Cell[] cells = [new("W4", 512), new("W3", 2048), new("W4", 2048)];
        return cells.Where(c => string.IsNullOrEmpty(only) || only.Split(',').Contains(c.ToString()));
    }

    [ParamsSource(nameof(Cells))]
    public Cell Case { get; set; } = new("W4", 2048);

    [GlobalSetup(Target = nameof(OnePass))]
    public void SetupOnePass() => runner = RunnerFactory.Create("Specialized", Case.Workload, Case.Batch, chunkSize: 0);

    [GlobalSetup(Target = nameof(Chunked))]
    public void SetupChunked() => runner = RunnerFactory.Create("Specialized", Case.Workload, Case.Batch);

    [GlobalCleanup]
    public void Cleanup() => (runner as IDisposable)?.Dispose();

    [Benchmark(Baseline = true, Description = "one pass")]
    public void OnePass() => runner.Step();

    [Benchmark(Description = "chunked (default)")]
    public void Chunked() => runner.Step();
}
