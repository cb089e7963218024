using System.Diagnostics;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tuning;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Issue #4's figure: the wall time of a 6 x 6 learning-rate x batch-size sweep on Fashion-MNIST W4, one epoch
/// (60,000 samples) per trial, every trial to the end (no halving), trials on all cores; validation on the 10,000
/// test images. Prints the grid and the recommendation.
/// </summary>
public static class SweepTiming
{
    public static void Run(int threads)
    {
        LabeledImages train = FashionMnist.Load(train: true);
        LabeledImages test = FashionMnist.Load(train: false);
        var data = new Dataset<W4>(train.Pixels, train.Labels);
        var validation = new Dataset<W4>(test.Pixels, test.Labels);
        var options = new SweepOptions
        {
            LearningRates = SweepOptions.LogSpaced(0.01f, 3.16227766f, 6),
            BatchSizes = [8, 32, 64, 128, 512, 2048],
            Budget = TrainingBudget.Samples(data.Count),
            Rungs = 1,
            Evaluations = 5,
            Threads = threads,
        };
        long start = Stopwatch.GetTimestamp();
        SweepResult result = LearningRateSweep.Run(new Model<W4>(seed: 1).Parameters, data, validation, options);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        foreach (TrialResult t in result.Trials)
        {
            Console.WriteLine($"lr {t.LearningRate,7:G3} B {t.BatchSize,5}: {t.Status,-9} {t.Label,-14} loss {t.FinalValidationLoss,8:G4} " +
                $"accuracy {t.FinalAccuracy,6:P1} {t.WallSeconds,6:F2} s");
        }
        Console.WriteLine(result.Recommendation.Summary);
        Console.WriteLine($"6 x 6 sweep on W4, 1 epoch per trial, {threads} threads: {seconds:F1} s wall time " +
            $"(sum of trial times {result.Trials.Sum(t => t.WallSeconds):F1} s)");
    }
}
