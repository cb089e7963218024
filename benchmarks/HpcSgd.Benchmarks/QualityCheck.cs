using System.Diagnostics;
using System.Text.Json;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Benchmarks;

/// <summary>WORKLOADS.md's quality check: one epoch at learning rate 0.1, batch 64, then test accuracy; and the epoch's wall time.</summary>
public static class QualityCheck
{
    public sealed record Result(string Workload, double EpochSeconds, double TestAccuracy);

    public static void Write(string path)
    {
        LabeledImages train = FashionMnist.Load(train: true);
        LabeledImages test = FashionMnist.Load(train: false);
        Result[] results = [Run<W3>("W3", train, test), Run<W4>("W4", train, test)];
        foreach (Result r in results)
        {
            Console.WriteLine($"{r.Workload}: 1 epoch in {r.EpochSeconds:F3} s, test accuracy {r.TestAccuracy:F4}");
        }
        File.WriteAllText(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static Result Run<TModel>(string name, LabeledImages train, LabeledImages test) where TModel : ISgdModel<TModel>
    {
        var data = new Dataset<TModel>(train.Pixels, train.Labels);
        var testData = new Dataset<TModel>(test.Pixels, test.Labels);
        var model = new Model<TModel>(seed: 1);
        var options = new TrainingOptions { LearningRate = 0.1f, BatchSize = 64, Epochs = 1, Seed = 5, DropLastPartialBatch = true };
        var session = new TrainingSession<TModel>(model, data, options);
        long start = Stopwatch.GetTimestamp();
        TrainingResult result = session.Run();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (result.Status != TrainingStatus.Completed)
        {
            throw new InvalidOperationException($"{name}: training ended {result.Status}");
        }
        return new Result(name, seconds, model.Accuracy(testData));
    }
}
