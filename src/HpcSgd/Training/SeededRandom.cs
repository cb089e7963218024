using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HpcSgd.Kernels;

namespace HpcSgd.Training;

/// <summary>
/// xoshiro256** seeded through SplitMix64: fast, allocation-free, and the same sequence on every platform
/// and .NET version for a given seed (System.Random promises neither), so runs reproduce bit for bit.
/// </summary>
internal struct SeededRandom
{
    private ulong s0, s1, s2, s3;

    public SeededRandom(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
    }

    /// <summary>The generator's four state words, for a checkpoint.</summary>
    public readonly (ulong S0, ulong S1, ulong S2, ulong S3) State => (s0, s1, s2, s3);

    /// <summary>A generator that continues from <paramref name="state"/> (as read from <see cref="State"/>).</summary>
    public static SeededRandom FromState((ulong S0, ulong S1, ulong S2, ulong S3) state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
        {
            throw new ArgumentException("an all-zero xoshiro256** state never leaves zero; it cannot come from a seeded generator.", nameof(state));
        }
        return new SeededRandom { s0 = state.S0, s1 = state.S1, s2 = state.S2, s3 = state.S3 };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitRotate(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = BitRotate(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>) without modulo bias (Lemire's multiply-shift with rejection).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int bound)
    {
        ulong range = (ulong)bound;
        ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = (0UL - range) % range;
            while (low < threshold)
            {
                high = Math.BigMul(NextUInt64(), range, out low);
            }
        }
        return (int)high;
    }

    /// <summary>Uniform in [0, 1) with 24 bits of randomness.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 bits of randomness.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Shuffles <paramref name="items"/> uniformly (Fisher-Yates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Shuffle(Span<int> items)
    {
        // A local copy lets the JIT keep the four state words in registers instead of memory (this lives in a heap object).
        SeededRandom local = this;
        if (items.Length * sizeof(int) > CacheResidentBytes)
        {
            ShuffleAhead(ref local, items);
        }
        else
        {
            // Without the span's bounds checks (j <= i < Length): 100 items 7.2 -> 4.8 ns per item.
            ref int first = ref MemoryMarshal.GetReference(items);
            for (int i = items.Length - 1; i > 0; i--)
            {
                int j = local.NextInt(i + 1);
                ref int a = ref Unsafe.Add(ref first, i);
                ref int b = ref Unsafe.Add(ref first, j);
                (a, b) = (b, a);
            }
        }
        this = local;
    }

    /// <summary>Arrays up to this size swap within L2; larger ones wait on a cache miss per swap unless it is prefetched.</summary>
    private const int CacheResidentBytes = 256 * 1024;

    /// <summary>How many swaps ahead the random partner is drawn and its line prefetched.</summary>
    private const int Ahead = 16;

    /// <summary>
    /// The same Fisher-Yates (the same draws in the same order, so the same permutation) with each random partner drawn
    /// <see cref="Ahead"/> swaps early and its cache line requested then: the misses overlap instead of queuing
    /// (a 10^6-sample epoch order: 4 MB, out of L2).
    /// </summary>
    private static void ShuffleAhead(ref SeededRandom state, Span<int> items)
    {
        SeededRandom random = state; // in registers, as in Shuffle
        int swaps = items.Length - 1;
        Span<int> partners = stackalloc int[Ahead];
        ref int first = ref MemoryMarshal.GetReference(items);
        for (int t = 0; t < Ahead && t < swaps; t++)
        {
            partners[t] = random.NextInt(items.Length - t);
            CacheHints.Prefetch(ref Unsafe.Add(ref first, partners[t]));
        }
        for (int t = 0; t < swaps; t++)
        {
            int i = swaps - t;
            int j = partners[t & (Ahead - 1)];
            int later = t + Ahead;
            if (later < swaps)
            {
                int partner = random.NextInt(items.Length - later);
                partners[later & (Ahead - 1)] = partner;
                CacheHints.Prefetch(ref Unsafe.Add(ref first, partner));
            }
            (Unsafe.Add(ref first, i), Unsafe.Add(ref first, j)) = (Unsafe.Add(ref first, j), Unsafe.Add(ref first, i));
        }
        state = random;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BitRotate(ulong x, int k) => (x << k) | (x >> (64 - k));
}
