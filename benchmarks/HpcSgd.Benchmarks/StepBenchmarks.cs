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

    private IStepRunner runner = null!;

    /// <summary>Every valid cell, or those HPCSGD_BENCH_CELLS lists (e.g. "W1n100/B8,W3/B32", for the smoke run).</summary>
    public static IEnumerable<Cell> Cells()
    {
        string? only = Environment.GetEnvironmentVariable("HPCSGD_BENCH_CELLS");
        return from workload in WorkloadCatalog.Names
               from batch in BatchSizes
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
