using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace HpcSgd.Kernels;

/// <summary>Software prefetches for the random accesses of sampling: shuffling the epoch order and gathering rows.</summary>
internal static class CacheHints
{
    /// <summary>Asks for the cache line holding <paramref name="item"/>; a no-op without SSE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch<T>(ref T item)
    {
        if (Sse.IsSupported)
        {
            // A prefetch never faults, so an address the GC has since moved costs nothing but a wasted line.
            Sse.Prefetch0(Unsafe.AsPointer(ref item));
        }
    }
}
