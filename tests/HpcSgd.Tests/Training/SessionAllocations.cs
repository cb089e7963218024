using HpcSgd.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>Allocation checks for sessions that run code on threads of their own (workers, the gather-ahead helper).</summary>
internal static class SessionAllocations
{
    /// <summary>
    /// After <paramref name="warmUp"/> steps, runs <paramref name="steps"/> more and asserts that neither the calling thread
    /// nor the session's own threads allocated. A one-time allocation is tolerated (a barrier's or semaphore's lock object,
    /// created the first time a thread really blocks, which a loaded test run can delay past the warm-up); any allocation
    /// per step would be at least 24 bytes per step, far above the bound.
    /// </summary>
    public static void AssertNoneOnAnyThread<TModel>(TrainingSession<TModel> session, int warmUp, int steps) where TModel : ISgdModel<TModel>
    {
        for (int i = 0; i < warmUp; i++)
        {
            Assert.True(session.Step());
        }
        long othersBefore = session.AllocatedOnWorkers;
        long mark = ThreadAllocations.Mark();
        for (int i = 0; i < steps; i++)
        {
            Assert.True(session.Step());
        }
        long callerBytes = ThreadAllocations.Since(mark);
        Assert.True(callerBytes < 200, $"the calling thread allocated {callerBytes} bytes over {steps} steps");
        long otherBytes = session.AllocatedOnWorkers - othersBefore;
        Assert.True(otherBytes < 200, $"the session's own threads allocated {otherBytes} bytes over {steps} steps");
    }
}
