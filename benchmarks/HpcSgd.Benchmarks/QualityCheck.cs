using System.Diagnostics;
using System.Text.Json;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Benchmarks;

/// <summary>
/// WORKLOADS.md's quality check: one epoch at learning rate 0.1, batch 64, then test accuracy and the epoch's wall
/// time — repeated over several seeds (initial parameters and sample order), because one seed's accuracy swings by
/// ±0.02. The first epoch of a process includes compiling the kernels, so it is reported apart from the median.
/// </summary>
public static class QualityCheck
{
    public const int Seeds = 5;

    /// <param name="EpochSeconds">Median epoch wall time over the seeds.</param>
    /// <param name="FirstEpochSeconds">The process's first epoch of this model (includes JIT compilation of its kernels).</param>
    /// <param name="TestAccuracy">Mean test accuracy over the seeds.</param>
    public sealed record Result(string Workload, double EpochSeconds, double FirstEpochSeconds, double TestAccuracy, double[] Accuracies);

    public static void Write(string path)
    {
        LabeledImages train = FashionMnist.Load(train: true);
        LabeledImages test = FashionMnist.Load(train: false);
        Result[] results = [Run<W3>("W3", train, test), Run<W4>("W4", train, test)];
        foreach (Result r in results)
        {
            Console.WriteLine($"{r.Workload}: 1 epoch in {r.EpochSeconds:F3} s (median of {Seeds}; first {r.FirstEpochSeconds:F3} s), " +
                $"test accuracy {r.TestAccuracy:F4} (mean; {r.Accuracies.Min():F4}..{r.Accuracies.Max():F4})");
        }
        File.WriteAllText(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static Result Run<TModel>(string name, LabeledImages train, LabeledImages test) where TModel : ISgdModel<TModel>
    {
        var data = new Dataset<TModel>(train.Pixels, train.Labels);
        var testData = new Dataset<TModel>(test.Pixels, test.Labels);
        var seconds = new double[Seeds];
        var accuracies = new double[Seeds];
        for (int seed = 0; seed < Seeds; seed++)
        {
            (seconds[seed], accuracies[seed]) = Epoch(name, seed, data, testData);
        }
        double[] sorted = [.. seconds.Order()];
        return new Result(name, sorted[Seeds / 2], seconds[0], accuracies.Average(), accuracies);
    }

    /// <summary>One epoch of the check with seed <paramref name="seed"/>: its wall time and the test accuracy after it.</summary>
    public static (double Seconds, double TestAccuracy) Epoch<TModel>(string name, int seed, Dataset<TModel> data, Dataset<TModel> testData, bool gatherAhead = false) where TModel : ISgdModel<TModel>
    {
        var model = new Model<TModel>(seed: (ulong)seed + 1);
        var options = new TrainingOptions
        {
            LearningRate = 0.1f, BatchSize = 64, Epochs = 1, Seed = (ulong)seed + 5, DropLastPartialBatch = true,
            GatherAhead = gatherAhead,
        };
        using var session = new TrainingSession<TModel>(model, data, options);
        long start = Stopwatch.GetTimestamp();
        TrainingResult result = session.Run();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (result.Status != TrainingStatus.Completed)
        {
            throw new InvalidOperationException($"{name} seed {seed}: training ended {result.Status}");
        }
        return (seconds, model.Accuracy(testData));
    }
}
