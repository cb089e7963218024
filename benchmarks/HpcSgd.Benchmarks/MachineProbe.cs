using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace HpcSgd.Benchmarks;

/// <summary>
/// The machine's limits on one core, so each figure can be stated as a fraction of them: the FMA peak
/// (12 independent fused multiply-add chains at the widest accelerated width) and the read bandwidth of a buffer that fits L2,
/// one that fits L3 and one in main memory (Vector512 sums). Best of several runs, as BenchmarkDotNet's minimum.
/// Also the same FMA chains on two threads at once (their combined rate): on a virtual machine the second vCPU may
/// share its core or be busy with a neighbour, and this is the ceiling of a compute-bound step's two-core speed-up.
/// </summary>
public static class MachineProbe
{
    public sealed record Limits(double PeakGflops, double L2ReadGBs, double L3ReadGBs, double MemoryReadGBs, string Cpu, int Lanes, double TwoThreadPeakGflops = 0);

    private const long ChainSteps = 20_000_000;

    public static Limits Measure()
    {
        // One and two threads take turns, so a slow spell of the VM does not fall on one of them only.
        double peak = 0, twoThreads = 0;
        PairedSteps.Probe(1000);
        for (int i = 0; i < 7; i++)
        {
            peak = Math.Max(peak, PairedSteps.Probe(ChainSteps));
            twoThreads = Math.Max(twoThreads, TwoThreadRate());
        }
        return new Limits(peak, ReadBandwidth(256 << 10), ReadBandwidth(8 << 20), ReadBandwidth(512 << 20), CpuName(), PairedSteps.ProbeLanes, twoThreads);
    }

    public static void Write(string path)
    {
        Limits limits = Measure();
        File.WriteAllText(path, JsonSerializer.Serialize(limits, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"FMA peak {limits.PeakGflops:F1} GFLOP/s (two threads together {limits.TwoThreadPeakGflops:F1}); read bandwidth L2 {limits.L2ReadGBs:F0}, L3 {limits.L3ReadGBs:F0}, memory {limits.MemoryReadGBs:F1} GB/s ({limits.Cpu})");
    }

    /// <summary>Both threads run the chains from a common start; the rate is their flops over the time until both finish.</summary>
    private static double TwoThreadRate()
    {
        using var start = new Barrier(3);
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                start.SignalAndWait();
                PairedSteps.Probe(ChainSteps);
            });
            threads[t].Start();
        }
        start.SignalAndWait();
        long begin = Stopwatch.GetTimestamp();
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        return 2 * ChainSteps * 12.0 * PairedSteps.ProbeLanes * 2 / Stopwatch.GetElapsedTime(begin).TotalSeconds / 1e9;
    }

    private static double Best(Func<double> run)
    {
        run();
        double best = 0;
        for (int i = 0; i < 7; i++)
        {
            best = Math.Max(best, run());
        }
        return best;
    }

    private static double ReadBandwidth(int bytes)
    {
        float[] data = new float[bytes / sizeof(float)];
        data.AsSpan().Fill(1f);
        long passes = Math.Max(1, (1L << 31) / bytes);
        return Best(() =>
        {
            long start = Stopwatch.GetTimestamp();
            float sink = 0;
            for (long p = 0; p < passes; p++)
            {
                sink += Sum(data);
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            GC.KeepAlive(sink);
            return passes * (double)bytes / seconds / 1e9;
        });
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Sum(float[] data)
    {
        ref float start = ref data[0];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (nuint i = 0; i + 64 <= (nuint)data.Length; i += 64)
        {
            a0 += Vector512.LoadUnsafe(ref start, i);
            a1 += Vector512.LoadUnsafe(ref start, i + 16);
            a2 += Vector512.LoadUnsafe(ref start, i + 32);
            a3 += Vector512.LoadUnsafe(ref start, i + 48);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3);
    }

    public static string CpuName()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
