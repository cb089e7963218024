using System.Diagnostics;
using System.Runtime.InteropServices;

namespace HpcSgd.Training;

/// <summary>
/// How far apart the cores of two threads are, measured as a cache line's round trip between them: one thread
/// (<see cref="Measure"/>) writes a sequence number, the other (<see cref="Answer"/>) echoes it. Cores sharing a cache
/// answer several times faster than cores on different dies or sockets. On a virtual machine the host may move a vCPU
/// from one to the other at any time (benchmarks/README.md, issue #13), so the measurement is repeated.
/// </summary>
internal sealed class PlacementProbe
{
    /// <summary>Round trips one measurement times (after a first that waits for the answering thread to notice).</summary>
    public const int RoundTrips = 8;

    /// <summary>
    /// Round trips shorter than this mean the cores share a cache: between the round trips of cores on one L3 and of
    /// cores on different dies (benchmarks/README.md, issue #13).
    /// </summary>
    public const double NearNanoseconds = 250;

    /// <summary>
    /// Multiply-adds of a forward pass per byte of its batch's features above which the kernels hide where the batch
    /// comes from (the hardware prefetches it while they compute): between the benchmarks' softmax regression on image
    /// bytes, which waits on them, and their MLP with a hidden layer, which does not (benchmarks/README.md).
    /// </summary>
    private const double HiddenReadMultiplyAddsPerByte = 8;

    /// <summary>
    /// True when a step of <paramref name="model"/> waits on its batch's reads, so a far helper's batch costs it more than
    /// gathering narrow rows itself; false when its arithmetic hides the reads.
    /// </summary>
    public static bool Matters(Models.ModelDescription model)
    {
        long multiplyAdds = model.Layers.Sum(layer => (long)layer.Inputs * layer.Outputs);
        return multiplyAdds < HiddenReadMultiplyAddsPerByte * model.InputCount * sizeof(float);
    }

    /// <summary>How long the answering thread keeps echoing after the last ping before it returns to its work.</summary>
    private const int AnswerSpins = 1 << 16;

    private Lines lines;

    /// <summary>
    /// The mean round trip of <see cref="RoundTrips"/> pings in nanoseconds, or -1 when the other thread did not answer one
    /// within <paramref name="timeout"/> (busy, or not running).
    /// </summary>
    public double Measure(TimeSpan timeout)
    {
        long timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        if (!RoundTrip(timeoutTicks))
        {
            return -1;
        }
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < RoundTrips; i++)
        {
            if (!RoundTrip(timeoutTicks))
            {
                return -1;
            }
        }
        return (Stopwatch.GetTimestamp() - start) * 1e9 / Stopwatch.Frequency / RoundTrips;
    }

    private bool RoundTrip(long timeoutTicks)
    {
        long ping = lines.Ping + 1; // only this thread writes Ping
        Volatile.Write(ref lines.Ping, ping);
        long deadline = 0;
        for (int spins = 1; Volatile.Read(ref lines.Pong) != ping; spins++)
        {
            // The clock is read only in round trips that take a while: read on every spin, it would lengthen each one.
            if ((spins & 63) == 0)
            {
                long now = Stopwatch.GetTimestamp();
                if (deadline == 0)
                {
                    deadline = now + timeoutTicks;
                }
                else if (now > deadline)
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// Answers a measurement the other thread has begun, if any, echoing its pings until they stop; false when none was
    /// waiting. Cheap when none is: one read of a line the other thread rarely writes.
    /// </summary>
    public bool Answer()
    {
        long ping = Volatile.Read(ref lines.Ping);
        if (ping == lines.Pong) // only this thread writes Pong
        {
            return false;
        }
        Volatile.Write(ref lines.Pong, ping);
        // The timed round trips follow; a measurement the other thread gave up ends after the spins.
        for (int answered = 0, spins = 0; answered < RoundTrips && spins < AnswerSpins; spins++)
        {
            long next = Volatile.Read(ref lines.Ping);
            if (next != ping)
            {
                ping = next;
                Volatile.Write(ref lines.Pong, ping);
                answered++;
                spins = 0;
            }
        }
        return true;
    }

    /// <summary>Ping and Pong on lines of their own, away from anything else either thread writes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Lines
    {
        [FieldOffset(64)] public long Ping;
        [FieldOffset(128)] public long Pong;
    }
}
