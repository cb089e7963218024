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

    /// <summary>
    /// Issue #15's grid (the CLI's --dataset fashion-mnist): rates 0.001..0.3 x batch sizes 1..2048, one epoch per trial,
    /// 2 trial threads, with <paramref name="rungs"/> (1: every trial to the end) and <paramref name="evaluations"/>
    /// validation passes per trial. Prints the wall time against the roofline, total FLOPs / (2 x the FMA probe's
    /// one-core peak), counting training alone and training plus the validation passes; the probe runs just before
    /// and just after the grid (medians of 5 each).
    /// </summary>
    public static void Grid(int rungs, int evaluations)
    {
        LabeledImages train = FashionMnist.Load(train: true);
        LabeledImages test = FashionMnist.Load(train: false);
        var data = new Dataset<W4>(train.Pixels, train.Labels);
        var validation = new Dataset<W4>(test.Pixels, test.Labels);
        var options = new SweepOptions
        {
            LearningRates = SweepOptions.LogSpaced(0.001f, 0.3f, 6),
            BatchSizes = [1, 8, 32, 128, 512, 2048],
            Budget = TrainingBudget.Samples(data.Count),
            Rungs = rungs,
            Evaluations = evaluations,
            Threads = 2,
        };
        double[] before = [.. Enumerable.Range(0, 5).Select(_ => PairedSteps.Probe(400_000))];
        long start = Stopwatch.GetTimestamp();
        SweepResult result = LearningRateSweep.Run(new Model<W4>(seed: 1).Parameters, data, validation, options);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double[] after = [.. Enumerable.Range(0, 5).Select(_ => PairedSteps.Probe(400_000))];
        double peak = Median([.. before, .. after]);

        double trainingFlops = result.Trials.Sum(t => (double)t.SamplesSeen) * WorkloadCatalog.FlopsPerSample("W4");
        // Validation passes: one per curve point after the start, one accuracy pass per rung a trial finished, and the
        // shared initial loss; a forward pass costs 2 FLOPs per weight.
        double forwardFlops = 2.0 * (784 * 128 + 128 * 10);
        double passes = 1 + result.Trials.Sum(t => t.Curve.Count - 1 + (t.RungReached + 1));
        double validationFlops = passes * validation.Count * forwardFlops;
        double roofTraining = trainingFlops / (2 * peak * 1e9), roofAll = (trainingFlops + validationFlops) / (2 * peak * 1e9);
        Console.WriteLine($"{MachineProbe.CpuName()}; widest vectors {PairedSteps.ProbeLanes} lanes; probe {peak:F1} GFLOP/s per core (before {Median(before):F1}, after {Median(after):F1})");
        Console.WriteLine($"6 x 6 grid (lr 0.001..0.3, B 1..2048, 1 epoch), rungs {rungs}, {evaluations} evaluations, 2 threads: {seconds:F2} s; " +
            $"{result.Trials.Count(t => t.Status == TrialStatus.Stopped)} trials stopped early; recommended lr {result.Recommendation.BestLearningRate:G3}, batch {result.Recommendation.BestBatchSize}, accuracy {result.Recommendation.BestAccuracy:P1}");
        Console.WriteLine($"training {trainingFlops / 1e9:F0} GFLOP, validation {validationFlops / 1e9:F0} GFLOP ({passes:F0} passes); roofline: training alone {roofTraining:F2} s " +
            $"({100 * roofTraining / seconds:F1}% reached), training and validation {roofAll:F2} s ({100 * roofAll / seconds:F1}% reached)");
        foreach (IGrouping<int, TrialResult> g in result.Trials.GroupBy(t => t.BatchSize))
        {
            Console.WriteLine($"  batch {g.Key,4}: trial seconds {string.Join(", ", g.Select(t => t.WallSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
        }
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
    }
}
