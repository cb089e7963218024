using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using HpcSgd.Benchmarks.Workloads;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Step time as a fraction of the FMA peak, robust to a VM whose speed drifts from minute to minute: every sample of
/// steps is paired with an FMA-probe sample taken just before it in the same process, and the report gives the median
/// of the paired ratios (a slow minute slows both). Cells are interleaved round by round, so no cell gets only the
/// slow minutes. The probe runs at the widest accelerated width, as the kernels do (with DOTNET_EnableAVX512=0 that
/// is Vector256 with 16 registers).
/// <c>paired W4/B64,W4/B512 [rounds]</c>; prints one line per cell and, with an output path, writes them as CSV.
/// </summary>
public static class PairedSteps
{
    private const double StepSampleSeconds = 0.03;

    private const long ProbeIterations = 400_000;

    public sealed record Result(string Cell, double MedianUs, double MedianProbeGflops, double MedianStepGflops, double MedianFractionOfPeak, double Q1Fraction, double Q3Fraction, int Rounds);

    public static int Run(string cells, int rounds, string? output)
    {
        var inv = CultureInfo.InvariantCulture;
        // A cell may name its runner: "Kernels:W3/B64" (the generated step alone); plain "W3/B64" is a training session.
        string[] texts = cells.Split(',');
        string[] methods = texts.Select(t => t.Contains(':', StringComparison.Ordinal) ? t[..t.IndexOf(':', StringComparison.Ordinal)].Trim() : "Specialized").ToArray();
        Cell[] parsed = texts.Select(t => Parse(t[(t.IndexOf(':', StringComparison.Ordinal) + 1)..])).ToArray();
        var runners = parsed.Select((c, i) => RunnerFactory.Create(methods[i], c.Workload, c.Batch)).ToArray();
        var stepsPerSample = new int[parsed.Length];
        for (int c = 0; c < parsed.Length; c++)
        {
            stepsPerSample[c] = Math.Max(1, (int)(StepSampleSeconds * WarmUp(runners[c])));
        }
        Probe(1000);

        var us = parsed.Select(_ => new List<double>()).ToArray();
        var probes = parsed.Select(_ => new List<double>()).ToArray();
        var fractions = parsed.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            for (int c = 0; c < parsed.Length; c++)
            {
                double peak = Probe(ProbeIterations);
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < stepsPerSample[c]; i++)
                {
                    runners[c].Step();
                }
                double stepUs = Stopwatch.GetElapsedTime(start).TotalSeconds * 1e6 / stepsPerSample[c];
                double gflops = WorkloadCatalog.FlopsPerSample(parsed[c].Workload) * parsed[c].Batch / (stepUs * 1e3);
                us[c].Add(stepUs);
                probes[c].Add(peak);
                fractions[c].Add(gflops / peak);
            }
        }
        var notes = runners.Select(r => r.Notes).ToArray();
        foreach (IStepRunner runner in runners)
        {
            (runner as IDisposable)?.Dispose();
        }

        var results = new List<Result>();
        for (int c = 0; c < parsed.Length; c++)
        {
            double medianUs = Quantile(us[c], 0.5);
            string name = methods[c] == "Specialized" ? parsed[c].ToString() : $"{methods[c]}:{parsed[c]}";
            results.Add(new Result(name, medianUs, Quantile(probes[c], 0.5),
                WorkloadCatalog.FlopsPerSample(parsed[c].Workload) * parsed[c].Batch / (medianUs * 1e3),
                Quantile(fractions[c], 0.5), Quantile(fractions[c], 0.25), Quantile(fractions[c], 0.75), rounds));
        }
        Console.WriteLine($"{MachineProbe.CpuName()}; widest accelerated vectors: {ProbeLanes} lanes; Avx512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}");
        Console.WriteLine("cell, median us/step, median probe GFLOP/s, step GFLOP/s at median time, median of paired fractions of peak [Q1, Q3], rounds");
        foreach (Result x in results)
        {
            Console.WriteLine(string.Create(inv, $"{x.Cell}, {x.MedianUs:G4}, {x.MedianProbeGflops:F1}, {x.MedianStepGflops:F1}, {100 * x.MedianFractionOfPeak:F1}% [{100 * x.Q1Fraction:F1}, {100 * x.Q3Fraction:F1}], {x.Rounds}"));
        }
        for (int c = 0; c < parsed.Length; c++)
        {
            if (notes[c] is string note)
            {
                Console.WriteLine($"{results[c].Cell}: {note}");
            }
        }
        // A runner's cell beside the plain one (e.g. Compiled:W4/B64 and W4/B64), else beside the first cell of its workload
        // and batch (Ahead+Chunk0:W3/B256 beside Ahead:W3/B256): the speed ratio of each round's pair.
        for (int c = 0; c < parsed.Length; c++)
        {
            int plain = Enumerable.Range(0, parsed.Length).FirstOrDefault(i => parsed[i] == parsed[c] && methods[i] == "Specialized", -1);
            plain = plain >= 0 ? plain : Enumerable.Range(0, parsed.Length).FirstOrDefault(i => parsed[i] == parsed[c] && methods[i] != "L1Tile", -1);
            if (methods[c] == "L1Tile")
            {
                // Every other cell of the same workload and batch against the tile at the same moments.
                for (int other = 0; other < parsed.Length; other++)
                {
                    if (other != c && parsed[other] == parsed[c] && methods[other] != "L1Tile")
                    {
                        List<double> shares = [.. us[c].Zip(us[other], (tile, step) => tile / step)];
                        string name = methods[other] == "Specialized" ? parsed[other].ToString() : $"{methods[other]}:{parsed[other]}";
                        Console.WriteLine(string.Create(inv, $"{name} runs at {100 * Quantile(shares, 0.5):F1}% [{100 * Quantile(shares, 0.25):F1}, {100 * Quantile(shares, 0.75):F1}] of the L1 tile's rate, same rounds"));
                    }
                }
                continue;
            }
            if (plain == c || plain < 0)
            {
                continue;
            }
            List<double> ratios = [.. us[plain].Zip(us[c], (a, b) => a / b)];
            string baseline = methods[plain] == "Specialized" ? parsed[plain].ToString() : $"{methods[plain]}:{parsed[plain]}";
            Console.WriteLine(string.Create(inv, $"{methods[c]}:{parsed[c]} speed / {baseline} speed, same rounds: median {Quantile(ratios, 0.5):F3} [{Quantile(ratios, 0.25):F3}, {Quantile(ratios, 0.75):F3}]"));
        }
        if (output is not null)
        {
            File.WriteAllLines(output, results.Select(x => string.Create(inv,
                $"{x.Cell},{x.MedianUs:R},{x.MedianProbeGflops:R},{x.MedianStepGflops:R},{x.MedianFractionOfPeak:R},{x.Q1Fraction:R},{x.Q3Fraction:R},{x.Rounds}")).Prepend("cell,us,probe_gflops,step_gflops,fraction,q1,q3,rounds"));
        }
        return 0;
    }

    /// <summary>Runs steps for 0.3 s (at least 5) so everything is compiled; returns the steps per second seen.</summary>
    public static double WarmUp(IStepRunner runner)
    {
        long start = Stopwatch.GetTimestamp();
        int n = 0;
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < 0.3 || n < 5)
        {
            runner.Step();
            n++;
        }
        return n / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>"W4/B64" as a cell; ArgumentException for anything else.</summary>
    public static Cell Parse(string text)
    {
        string[] parts = text.Trim().Split("/B");
        return parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int batch)
            ? new Cell(parts[0], batch)
            : throw new ArgumentException($"'{text}' is not a cell such as W4/B64.", nameof(text));
    }

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int low = (int)Math.Floor(position);
        int high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }

    /// <summary>Lanes of the widest accelerated float vector: the width the kernels and the probe run at.</summary>
    public static int ProbeLanes => Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;

    /// <summary>GFLOP/s of 12 independent FMA chains at the widest accelerated width, over <paramref name="iterations"/> steps.</summary>
    public static double Probe(long iterations)
    {
        long start = Stopwatch.GetTimestamp();
        float sink = ProbeLanes switch
        {
            16 => Chains512(iterations),
            8 => Chains256(iterations),
            _ => Chains128(iterations),
        };
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        GC.KeepAlive(sink);
        return iterations * 12.0 * ProbeLanes * 2 / seconds / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains512(long n)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < n; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a); c2 = Vector512.FusedMultiplyAdd(c2, m, a);
            c3 = Vector512.FusedMultiplyAdd(c3, m, a); c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a); c8 = Vector512.FusedMultiplyAdd(c8, m, a);
            c9 = Vector512.FusedMultiplyAdd(c9, m, a); c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains256(long n)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < n; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a); c2 = Vector256.FusedMultiplyAdd(c2, m, a);
            c3 = Vector256.FusedMultiplyAdd(c3, m, a); c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a); c8 = Vector256.FusedMultiplyAdd(c8, m, a);
            c9 = Vector256.FusedMultiplyAdd(c9, m, a); c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Chains128(long n)
    {
        var m = Vector128.Create(0.999999f);
        var a = Vector128.Create(1e-7f);
        Vector128<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < n; i++)
        {
            c0 = Vector128.FusedMultiplyAdd(c0, m, a); c1 = Vector128.FusedMultiplyAdd(c1, m, a); c2 = Vector128.FusedMultiplyAdd(c2, m, a);
            c3 = Vector128.FusedMultiplyAdd(c3, m, a); c4 = Vector128.FusedMultiplyAdd(c4, m, a); c5 = Vector128.FusedMultiplyAdd(c5, m, a);
            c6 = Vector128.FusedMultiplyAdd(c6, m, a); c7 = Vector128.FusedMultiplyAdd(c7, m, a); c8 = Vector128.FusedMultiplyAdd(c8, m, a);
            c9 = Vector128.FusedMultiplyAdd(c9, m, a); c10 = Vector128.FusedMultiplyAdd(c10, m, a); c11 = Vector128.FusedMultiplyAdd(c11, m, a);
        }
        return Vector128.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
