using BenchmarkDotNet.Attributes;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Benchmarks;

/// <summary>
/// One training step (sampling, gather, forward, loss, gradient, update) with the kernels specialized for the
/// batch size against the general path on the same shape, data and options. Allocated must read 0 B.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory, BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class TrainingStepBenchmarks
{
    private TrainingSession<W1Specialized> w1Specialized = null!;
    private TrainingSession<W1General> w1General = null!;
    private TrainingSession<W3Specialized> w3Specialized = null!;
    private TrainingSession<W3General> w3General = null!;

    [Params(1, 10, 64, 256)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (float[] x, float[] y) = ClassicExample.Generate(10_000, seed: 1);
        var random = new Random(2);
        float[] pixels = new float[4096 * 784];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)random.NextDouble();
        }
        int[] labels = Enumerable.Range(0, 4096).Select(_ => random.Next(10)).ToArray();

        var options = new TrainingOptions { LearningRate = 1e-3f, BatchSize = BatchSize, Steps = int.MaxValue, Seed = 3 };
        w1Specialized = new(new Model<W1Specialized>(1), new Dataset<W1Specialized>(x, y), options);
        w1General = new(new Model<W1General>(1), new Dataset<W1General>(x, y), options);
        w3Specialized = new(new Model<W3Specialized>(1), new Dataset<W3Specialized>(pixels, labels), options);
        w3General = new(new Model<W3General>(1), new Dataset<W3General>(pixels, labels), options);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("W1")]
    public bool W1_GeneralPath() => w1General.Step();

    [Benchmark]
    [BenchmarkCategory("W1")]
    public bool W1_Specialized() => w1Specialized.Step();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("W3")]
    public bool W3_GeneralPath() => w3General.Step();

    [Benchmark]
    [BenchmarkCategory("W3")]
    public bool W3_Specialized() => w3Specialized.Step();
}
