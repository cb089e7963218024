namespace HpcSgd.Tests.Reference;

/// <summary>
/// Bytes the calling thread allocates over a measured stretch, read with <see cref="GC.GetAllocatedBytesForCurrentThread"/>
/// after retiring every thread's allocation context.
/// </summary>
/// <remarks>
/// Why retire them first: the counter is "handed to this thread minus the unused rest of its current allocation context",
/// and a background collection's marking phase clears other threads' contexts without deducting that rest, so a thread
/// that allocated shortly before the stretch and nothing during it is charged up to one allocation quantum (about 8 KB)
/// whenever a concurrent gen2 collection of other threads' garbage lands inside it. A blocking gen0 collection deducts
/// the rest and leaves the contexts empty; a thread that then allocates nothing has nothing to be charged for, and a
/// thread that does allocate is counted exactly as before.
/// </remarks>
internal static class ThreadAllocations
{
    /// <summary>Retires the allocation contexts and returns the calling thread's counter, the start of a stretch.</summary>
    public static long Mark()
    {
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        return GC.GetAllocatedBytesForCurrentThread();
    }

    /// <summary>Bytes the calling thread allocated since <paramref name="mark"/>.</summary>
    public static long Since(long mark) => GC.GetAllocatedBytesForCurrentThread() - mark;

    /// <summary>Bytes the calling thread allocates while <paramref name="stretch"/> runs.</summary>
    public static long During(Action stretch)
    {
        long mark = Mark();
        stretch();
        return Since(mark);
    }
}
