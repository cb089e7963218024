using System.Diagnostics;
using System.Globalization;
using HpcSgd.Compiler;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Run-time compilation cost, Roslyn's start-up included: each shape is compiled in a fresh process with an empty cache
/// (cold), then in another fresh process from the cache, <c>repeats</c> times; prints the medians of the compile time
/// the compiler reports and of the whole process, with the runtime's defaults and as the CLI runs (tiered PGO off).
/// <c>compile-times [repeats]</c>.
/// </summary>
public static class CompileTimes
{
    private static readonly int[] TableBatches = [4, 8, 16, 32, 64, 128];

    /// <summary>The shapes measured: the CLI's table models (its six default batch sizes) and W4 with the suite's nine.</summary>
    public static readonly Dictionary<string, ModelDeclaration> Shapes = new()
    {
        ["linear 30->1"] = new("Linear", Loss.MeanSquaredError, [new DenseLayer(30, 1)], TableBatches),
        ["logistic 30->1"] = new("Logistic", Loss.BinaryCrossEntropy, [new DenseLayer(30, 1)], TableBatches),
        ["softmax 13->3"] = new("Softmax", Loss.SoftmaxCrossEntropy, [new DenseLayer(13, 3)], TableBatches),
        ["mlp 30->16->1"] = new("Mlp", Loss.BinaryCrossEntropy, [new DenseLayer(30, 16, Activation.ReLU), new DenseLayer(16, 1)], TableBatches),
        ["mlp 30->64->32->1"] = new("Mlp2", Loss.MeanSquaredError, [new DenseLayer(30, 64, Activation.ReLU), new DenseLayer(64, 32, Activation.ReLU), new DenseLayer(32, 1)], TableBatches),
        ["W4 784->128->10"] = Declarations.W4,
    };

    public static int Run(int repeats)
    {
        Console.WriteLine($"{MachineProbe.CpuName()}; {Environment.ProcessorCount} cores; kernels for {new ModelCompiler(useCache: false).KernelTargets}");
        Console.WriteLine("shape, runtime | cold: compile s, process s | from cache: compile s, process s (medians of " + repeats + ")");
        foreach ((string shape, bool pgo) in Shapes.Keys.SelectMany(s => new[] { (s, true), (s, false) }))
        {
            var cold = new List<(double, double)>();
            var warm = new List<(double, double)>();
            for (int r = 0; r < repeats; r++)
            {
                string cache = Path.Combine(Path.GetTempPath(), "hpcsgd-compile-times-" + Guid.NewGuid().ToString("N"));
                try
                {
                    cold.Add(Child(shape, cache, pgo));
                    warm.Add(Child(shape, cache, pgo));
                }
                finally
                {
                    Directory.Delete(cache, recursive: true);
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{shape}, {(pgo ? "default" : "TieredPGO off (the CLI)")} | {Median(cold, c => c.Item1):F2}, {Median(cold, c => c.Item2):F2} | {Median(warm, c => c.Item1):F3}, {Median(warm, c => c.Item2):F2}"));
        }
        return 0;
    }

    /// <summary>The child process: compiles one shape and prints its compile time and whether the cache served it.</summary>
    public static int Once(string shape, string cache)
    {
        using CompiledModel model = new ModelCompiler(cache).Compile(Shapes[shape]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model.CompileTime.TotalSeconds:R} {model.FromCache}"));
        return 0;
    }

    private static (double Compile, double Process) Child(string shape, string cache, bool pgo)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        if (!pgo)
        {
            start.Environment["DOTNET_TieredPGO"] = "0";
        }
        foreach (string arg in new[] { typeof(CompileTimes).Assembly.Location, "compile-once", shape, cache })
        {
            start.ArgumentList.Add(arg);
        }
        long t0 = Stopwatch.GetTimestamp();
        using Process child = Process.Start(start)!;
        string line = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        double process = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"compile-once {shape} failed: {line}");
        }
        return (double.Parse(line.Split(' ')[0], CultureInfo.InvariantCulture), process);
    }

    private static double Median(List<(double, double)> values, Func<(double, double), double> pick)
    {
        double[] sorted = [.. values.Select(pick).Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>The suite's workload models as run-time declarations (the same attributes as Workloads/WorkloadModels.cs).</summary>
public static class Declarations
{
    private static readonly int[] SuiteBatches = [1, 8, 32, 64, 128, 256, 512, 1024, 2048];

    public static readonly ModelDeclaration W3 = new("W3", Loss.SoftmaxCrossEntropy, [new DenseLayer(784, 10)], SuiteBatches);

    public static readonly ModelDeclaration W4 = new("W4", Loss.SoftmaxCrossEntropy, [new DenseLayer(784, 128, Activation.ReLU), new DenseLayer(128, 10)], SuiteBatches);
}
