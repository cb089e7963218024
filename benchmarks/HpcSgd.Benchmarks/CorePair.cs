using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace HpcSgd.Benchmarks;

/// <summary>
/// How far apart the machine's first two CPUs are right now, sample after sample: a thread pinned to each, a cache line
/// passed back and forth (round-trip time), and a W3/B64 batch (64 x 784 floats, 200 KB) written by one and read by the
/// other, beside the same read after the reader's own writes. On a VM whose two vCPUs the host moves between cores
/// that share an L3 and cores on different dies, this is what decides whether gathering ahead on the second core pays.
/// Between samples both threads sleep 10 ms, or with <c>--busy</c> spin, as a training session's two threads do.
/// </summary>
public static class CorePair
{
    private const int RoundTrips = 2000;
    private const int BatchFloats = 64 * 784;
    private const int Idle = 0, PingPong = 1, WriteBatch = 2, Quit = 3;

    public static int Run(int samples, bool busy = false)
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2)
        {
            Console.Error.WriteLine("core-pair needs Linux (it pins threads with sched_setaffinity) and two CPUs");
            return 1;
        }
        var inv = CultureInfo.InvariantCulture;
        // The line passed back and forth: the middle of 256 bytes, so nothing else shares its cache line.
        long[] lineArray = new long[32];
        ref long line = ref lineArray[16];
        float[] batch = GC.AllocateArray<float>(BatchFloats, pinned: true);
        int command = Idle;
        var partner = new Thread(() =>
        {
            Pin(1);
            while (true)
            {
                int c;
                while ((c = Volatile.Read(ref command)) == Idle)
                {
                }
                if (c == Quit)
                {
                    return;
                }
                if (c == PingPong)
                {
                    for (long i = 0; i < RoundTrips; i++)
                    {
                        while (Volatile.Read(ref lineArray[16]) != 2 * i + 1)
                        {
                        }
                        Volatile.Write(ref lineArray[16], 2 * i + 2);
                    }
                }
                else
                {
                    Write(batch, 1f);
                }
                Volatile.Write(ref command, Idle);
            }
        })
        { IsBackground = true };
        partner.Start();
        Pin(0);
        var rows = new List<(double RoundTripNs, double RemoteUs, double OwnUs)>();
        float sink = 0;
        Console.WriteLine("sample, round trip ns, 200 KB written on CPU 1 read on CPU 0 us, after CPU 0's own writes us");
        for (int s = 0; s < samples; s++)
        {
            Volatile.Write(ref line, 0);
            Volatile.Write(ref command, PingPong);
            long start = Stopwatch.GetTimestamp();
            for (long i = 0; i < RoundTrips; i++)
            {
                Volatile.Write(ref line, 2 * i + 1);
                while (Volatile.Read(ref line) != 2 * i + 2)
                {
                }
            }
            double roundTrip = Stopwatch.GetElapsedTime(start).TotalNanoseconds / RoundTrips;
            while (Volatile.Read(ref command) != Idle)
            {
            }
            Volatile.Write(ref command, WriteBatch);
            while (Volatile.Read(ref command) != Idle)
            {
            }
            start = Stopwatch.GetTimestamp();
            sink += Read(batch);
            double remote = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            Write(batch, sink);
            start = Stopwatch.GetTimestamp();
            sink += Read(batch);
            double own = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            rows.Add((roundTrip, remote, own));
            Console.WriteLine(string.Create(inv, $"{s}, {roundTrip:F0}, {remote:F1}, {own:F1}"));
            // Idle vCPUs may be moved by the host while they halt; with busy, both threads spin instead.
            if (busy)
            {
                long until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
                while (Stopwatch.GetTimestamp() < until)
                {
                }
            }
            else
            {
                Thread.Sleep(10);
            }
        }
        Volatile.Write(ref command, Quit);
        partner.Join();
        GC.KeepAlive(sink);
        // The bounds separate the two levels seen so far (cores sharing an L3, cores on different dies) from samples in
        // which one vCPU was not running (benchmarks/README.md).
        var groups = new (string Name, double Low, double High)[] { ("under 300 ns", 0, 300), ("300-1000 ns", 300, 1000), ("1 us and more", 1000, double.PositiveInfinity) };
        foreach ((string name, double low, double high) in groups)
        {
            var group = rows.Where(r => r.RoundTripNs >= low && r.RoundTripNs < high).ToList();
            if (group.Count > 0)
            {
                Console.WriteLine(string.Create(inv, $"round trip {name}: {group.Count} of {rows.Count} samples; medians: round trip {Median(group.Select(r => r.RoundTripNs))} ns, remote batch {Median(group.Select(r => r.RemoteUs)):F1} us, own {Median(group.Select(r => r.OwnUs)):F1} us"));
            }
        }
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return Math.Round(sorted[sorted.Length / 2], 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Read(float[] batch)
    {
        Vector256<float> a = Vector256<float>.Zero, b = Vector256<float>.Zero;
        ref float first = ref MemoryMarshal.GetArrayDataReference(batch);
        for (int i = 0; i < BatchFloats; i += 16)
        {
            a += Vector256.LoadUnsafe(ref first, (nuint)i);
            b += Vector256.LoadUnsafe(ref first, (nuint)i + 8);
        }
        return Vector256.Sum(a + b);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Write(float[] batch, float value)
    {
        Vector256<float> v = Vector256.Create(value);
        ref float first = ref MemoryMarshal.GetArrayDataReference(batch);
        for (int i = 0; i < BatchFloats; i += 8)
        {
            v.StoreUnsafe(ref first, (nuint)i);
        }
    }

    private static void Pin(int cpu)
    {
        ulong mask = 1UL << cpu;
        if (SchedSetAffinity(0, sizeof(ulong), ref mask) != 0)
        {
            throw new InvalidOperationException($"sched_setaffinity to CPU {cpu} failed: {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static extern int SchedSetAffinity(int pid, nint size, ref ulong mask);
}
