using System.Diagnostics;
using System.Globalization;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Benchmarks;

/// <summary>
/// What a checkpoint costs: <c>checkpoint-cost [REPEATS]</c> times SaveCheckpoint (encode, write, flush to disk,
/// rename) and RestoreCheckpoint (read, verify, apply) of a W4 training session with momentum and roll-back snapshots
/// on the Fashion-MNIST training set, beside a step of the same session; medians, and milliseconds per MB of file.
/// </summary>
public static class CheckpointCost
{
    public static int Run(int repeats)
    {
        WorkloadData data = WorkloadCatalog.Get("W4");
        var dataset = new Dataset<W4>(data.Features, data.Targets);
        string folder = Path.Combine(Path.GetTempPath(), "hpcsgd-checkpoint-cost");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "w4.ckpt");
        var options = new TrainingOptions { LearningRate = 0.1f, BatchSize = 64, Epochs = 1, Seed = 1, Momentum = 0.9f, RollBacks = 4 };
        using var session = new TrainingSession<W4>(new Model<W4>(seed: 1), dataset, options);
        for (int i = 0; i < 200; i++)
        {
            session.Step();
        }
        var save = new List<double>();
        var restore = new List<double>();
        var step = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            session.Step();
            step.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            session.SaveCheckpoint(path);
            save.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            using var fresh = new TrainingSession<W4>(new Model<W4>(seed: 2), dataset, options);
            start = Stopwatch.GetTimestamp();
            fresh.RestoreCheckpoint(path);
            restore.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        double megabytes = new FileInfo(path).Length / 1e6;
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{MachineProbe.CpuName()}; W4 (101,770 parameters, momentum, 2 roll-back snapshots, 60,000-sample order): checkpoint {megabytes.ToString("F2", inv)} MB, {repeats} repeats");
        Console.WriteLine(string.Create(inv, $"save {Median(save):F2} ms ({Median(save) / megabytes:F2} ms/MB), restore {Median(restore):F2} ms ({Median(restore) / megabytes:F2} ms/MB), one B64 step {Median(step):F3} ms"));
        Directory.Delete(folder, recursive: true);
        return 0;
    }
}
