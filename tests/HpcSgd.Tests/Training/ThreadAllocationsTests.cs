using HpcSgd.Tests.Reference;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Training;

/// <summary>The zero-allocation tests' meter: blind to background collections of other garbage, not to a real allocation.</summary>
public class ThreadAllocationsTests(ITestOutputHelper log)
{
    private const int Runs = 20;

    [Fact]
    public void A_background_collection_is_not_charged_to_a_thread_that_allocates_nothing()
    {
        object[] retained = Graph(); // enough live objects that background marking outlasts the start of the stretch
        int charged = 0, chargedRaw = 0;
        for (int run = 0; run < Runs; run++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: false);
            GC.KeepAlive(new byte[1 + run * 13]); // a live, partly used allocation context, as a test's set-up leaves it
            long raw = GC.GetAllocatedBytesForCurrentThread();
            Thread.Sleep(20);
            chargedRaw += GC.GetAllocatedBytesForCurrentThread() != raw ? 1 : 0;

            GC.Collect(2, GCCollectionMode.Forced, blocking: false);
            GC.KeepAlive(new byte[1 + run * 13]);
            charged += ThreadAllocations.During(() => Thread.Sleep(20)) != 0 ? 1 : 0;
        }
        GC.KeepAlive(retained);
        log.WriteLine($"stretches charged without allocating: the bare counter {chargedRaw} of {Runs}, the meter {charged} of {Runs}");
        Assert.Equal(0, charged);
    }

    [Fact]
    public void A_real_allocation_is_counted_even_while_background_collections_run()
    {
        object[] retained = Graph();
        for (int run = 0; run < Runs; run++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: false);
            long bytes = ThreadAllocations.During(() =>
            {
                GC.KeepAlive(new byte[64]);
                Thread.Sleep(5);
            });
            Assert.True(bytes >= 64 + 2 * IntPtr.Size, $"run {run}: a 64-byte array counted as {bytes} bytes");
        }
        GC.KeepAlive(retained);
    }

    private static object[] Graph()
    {
        var retained = new object[200_000];
        for (int i = 0; i < retained.Length; i++)
        {
            retained[i] = new byte[64];
        }
        return retained;
    }
}
