using System.Diagnostics;
using System.Globalization;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Data;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Takes measurement requests on standard input, one per line, and answers each with one line, so another process
/// (benchmarks/pytorch/versus.py) can interleave its own samples with ours at sub-second granularity: the same minute
/// of a drifting VM then falls on both sides of a ratio.
/// <list type="bullet">
/// <item><c>step [RUNNER:]W4/B64 SECONDS [WARM]</c> -> <c>US_PER_STEP PROBE_GFLOPS TILE_GFLOPS</c>: untimed steps for about WARM seconds, an FMA-probe sample, a sample of the kernels' register tile on operands in L1 (<see cref="L1TileRunner"/>), then steps for about SECONDS (RUNNER as in <c>paired</c>, e.g. <c>Ahead:</c>; a plain training session without one).</item>
/// <item><c>epoch W4 SEED [ahead]</c> -> <c>SECONDS TEST_ACCURACY PROBE_GFLOPS</c>: one epoch of the quality check (with <c>ahead</c>, the session gathers ahead on a second thread), and the mean of FMA-probe samples taken just before and just after it, so the epoch too has a paired fraction of the peak.</item>
/// <item><c>machine</c> -> the CPU's name and the probe's vector width.</item>
/// </list>
/// The first request for a cell compiles and warms it up; its answer is a real sample all the same.
/// </summary>
public static class SampleServer
{
    public static int Run()
    {
        var inv = CultureInfo.InvariantCulture;
        var runners = new Dictionary<string, (IStepRunner Runner, int StepsPerSecond)>();
        (Dataset<W3> Train, Dataset<W3> Test)? w3 = null;
        (Dataset<W4> Train, Dataset<W4> Test)? w4 = null;
        PairedSteps.Probe(1000);
        Console.WriteLine("ready");
        while (Console.ReadLine() is string line)
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            try
            {
                switch (words.FirstOrDefault())
                {
                    case "step":
                        if (!runners.TryGetValue(words[1], out var entry))
                        {
                            entry = Warm(words[1]);
                            runners[words[1]] = entry;
                        }
                        int steps = Math.Max(1, (int)(entry.StepsPerSecond * double.Parse(words[2], inv)));
                        // Untimed steps first (the client does the same on its side): a vCPU that idled runs slower for a while.
                        int warm = words.Length > 3 ? (int)(entry.StepsPerSecond * double.Parse(words[3], inv)) : 0;
                        for (int i = 0; i < warm; i++)
                        {
                            entry.Runner.Step();
                        }
                        double peak = PairedSteps.Probe(2_000_000);
                        double tile = L1TileRunner.Probe(20);
                        long start = Stopwatch.GetTimestamp();
                        for (int i = 0; i < steps; i++)
                        {
                            entry.Runner.Step();
                        }
                        double us = Stopwatch.GetElapsedTime(start).TotalSeconds * 1e6 / steps;
                        Console.WriteLine(string.Create(inv, $"{us:R} {peak:R} {tile:R}"));
                        break;
                    case "epoch":
                        int seed = int.Parse(words[2], inv);
                        bool ahead = words.Length > 3 && words[3] == "ahead";
                        if (words[1] is "W3")
                        {
                            w3 ??= Load<W3>();
                        }
                        else if (words[1] is "W4")
                        {
                            w4 ??= Load<W4>();
                        }
                        else
                        {
                            throw new ArgumentException($"no quality check for '{words[1]}'");
                        }
                        // An epoch lasts longer than a step sample: the probe on both sides of it.
                        double before = PairedSteps.Probe(2_000_000);
                        (double seconds, double accuracy) = words[1] is "W3" ? Epoch("W3", seed, w3!.Value, ahead) : Epoch("W4", seed, w4!.Value, ahead);
                        double after = PairedSteps.Probe(2_000_000);
                        Console.WriteLine(string.Create(inv, $"{seconds:R} {accuracy:R} {(before + after) / 2:R}"));
                        break;
                    case "machine":
                        Console.WriteLine($"{MachineProbe.CpuName()}; {PairedSteps.ProbeLanes} lanes; Avx512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}");
                        break;
                    case "quit":
                        return 0;
                    default:
                        Console.WriteLine($"error: unknown request '{line}'");
                        break;
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or IndexOutOfRangeException)
            {
                Console.WriteLine($"error: {e.Message}");
            }
        }
        return 0;
    }

    private static (IStepRunner, int) Warm(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        Cell cell = PairedSteps.Parse(text[(colon + 1)..]);
        IStepRunner runner = RunnerFactory.Create(colon < 0 ? "Specialized" : text[..colon], cell.Workload, cell.Batch);
        return (runner, Math.Max(1, (int)PairedSteps.WarmUp(runner)));
    }

    private static (double, double) Epoch<TModel>(string name, int seed, (Dataset<TModel> Train, Dataset<TModel> Test) data, bool gatherAhead) where TModel : Models.ISgdModel<TModel> =>
        QualityCheck.Epoch(name, seed, data.Train, data.Test, gatherAhead);

    private static (Dataset<TModel>, Dataset<TModel>) Load<TModel>() where TModel : Models.ISgdModel<TModel>
    {
        LabeledImages train = FashionMnist.Load(train: true);
        LabeledImages test = FashionMnist.Load(train: false);
        return (new Dataset<TModel>(train.Pixels, train.Labels), new Dataset<TModel>(test.Pixels, test.Labels));
    }
}
