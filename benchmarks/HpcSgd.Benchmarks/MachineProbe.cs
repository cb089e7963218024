using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace HpcSgd.Benchmarks;

/// <summary>
/// The machine's limits on one core, so each figure can be stated as a fraction of them: the FMA peak
/// (12 independent Vector512 fused multiply-add chains) and the read bandwidth of a buffer that fits L2,
/// one that fits L3 and one in main memory (Vector512 sums). Best of several runs, as BenchmarkDotNet's minimum.
/// Also the same FMA chains on two threads at once (their combined rate): on a virtual machine the second vCPU may
/// share its core or be busy with a neighbour, and this is the ceiling of a compute-bound step's two-core speed-up.
/// </summary>
public static class MachineProbe
{
    public sealed record Limits(double PeakGflops, double L2ReadGBs, double L3ReadGBs, double MemoryReadGBs, string Cpu, int Lanes, double TwoThreadPeakGflops = 0);

    private const long ChainSteps = 20_000_000;

    private const double FlopsPerRun = ChainSteps * 12 * 16 * 2;

    public static Limits Measure()
    {
        // One and two threads take turns, so a slow spell of the VM does not fall on one of them only.
        double peak = 0, twoThreads = 0;
        Chains(1000);
        for (int i = 0; i < 7; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Chains(ChainSteps);
            peak = Math.Max(peak, FlopsPerRun / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9);
            twoThreads = Math.Max(twoThreads, TwoThreadRate());
        }
        return new Limits(peak, ReadBandwidth(256 << 10), ReadBandwidth(8 << 20), ReadBandwidth(512 << 20), CpuName(), Vector512.IsHardwareAccelerated ? 16 : 8, twoThreads);
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
                Chains(ChainSteps);
            });
            threads[t].Start();
        }
        start.SignalAndWait();
        long begin = Stopwatch.GetTimestamp();
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        return 2 * FlopsPerRun / Stopwatch.GetElapsedTime(begin).TotalSeconds / 1e9;
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<float> Chains(long n)
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
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }

    private static string CpuName()
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
