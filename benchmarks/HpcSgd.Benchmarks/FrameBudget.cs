using System.Diagnostics;
using System.Globalization;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Frame-budgeted training in a game loop: <c>frame-budget [FRAMES] [BUDGET_MS]</c> runs W4 on Fashion-MNIST at batch 1,
/// 8 and 64 for FRAMES frames at 60 frames per second (the thread sleeps out each frame, as a game's would wait for
/// vsync), training one <see cref="TrainingSession{TModel}.TrainFor"/> slice of BUDGET_MS per frame; reports the slice's
/// p50, p99 and maximum, steps per frame and bytes allocated per frame, after the first second.
/// </summary>
public static class FrameBudget
{
    public static int Run(int frames, double budgetMs)
    {
        WorkloadData data = WorkloadCatalog.Get("W4");
        var dataset = new Dataset<W4>(data.Features, data.Targets);
        Console.WriteLine($"W4 ({data.Source}), {frames} frames at 60/s, TrainFor({budgetMs} ms) per frame; {Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") switch { "0" => "DOTNET_EnableAVX512=0", _ => "default" }}");
        Console.WriteLine("| batch | slice p50 ms | p99 ms | max ms | steps per frame (median) | bytes allocated per frame |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (int batch in new[] { 1, 8, 64 })
        {
            var options = new TrainingOptions { LearningRate = 0.05f, BatchSize = batch, Steps = int.MaxValue, Seed = 1, Momentum = 0.9f, Sampling = BatchSampling.RandomBatches };
            using var session = new TrainingSession<W4>(new Model<W4>(seed: 1), dataset, options);
            var slices = new double[frames];
            var steps = new int[frames];
            long allocated = 0;
            int warmUp = Math.Min(60, frames / 2);
            long frameTicks = Stopwatch.Frequency / 60, frameStart = Stopwatch.GetTimestamp();
            var budget = TimeSpan.FromMilliseconds(budgetMs);
            for (int frame = 0; frame < frames; frame++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                TrainingSlice slice = session.TrainFor(budget);
                if (frame >= warmUp)
                {
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                }
                slices[frame] = slice.Elapsed.TotalMilliseconds;
                steps[frame] = slice.Steps;
                frameStart += frameTicks;
                TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), frameStart);
                if (wait > TimeSpan.Zero)
                {
                    Thread.Sleep(wait);
                }
            }
            double[] measured = slices[warmUp..];
            Array.Sort(measured);
            int[] counts = steps[warmUp..];
            Array.Sort(counts);
            double P(double q) => measured[(int)Math.Round(q * (measured.Length - 1))];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {batch} | {P(0.5):F3} | {P(0.99):F3} | {measured[^1]:F3} | {counts[counts.Length / 2]} | {(double)allocated / measured.Length:F1} |"));
        }
        return 0;
    }
}
