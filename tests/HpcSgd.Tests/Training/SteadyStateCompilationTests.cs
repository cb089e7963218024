using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// Warm-up is the library's job: every method a training step runs (the session's, the sampler's, the gather's, the
/// generated entry points and kernels, the validation pass of a progress report) is compiled optimized on its first
/// call, so none is compiled again once training runs. Tiered compilation would otherwise recompile them in the
/// middle of a run (instrumented, then optimized, on a timer), which is when a step can allocate or stall.
/// Watched through the runtime's own compilation events, which are process-wide: hence a collection of its own that
/// runs while no other test does.
/// </summary>
[Collection(nameof(SteadyStateCompilationTests))]
public class SteadyStateCompilationTests
{
    public static TheoryData<string, int, int> Cases() => new()
    {
        { nameof(SingleOutputRegression), 64, 1 }, // the fused regression kernel, wide rows
        { nameof(SeedRegression), 10, 1 },         // narrow rows, side by side
        { nameof(DeepSoftmax), 12, 1 },            // layers, the fused update
        { nameof(DeepSoftmax), 7, 1 },             // the general path
        { nameof(TiledMlp), 9, 2 },                // two threads: chunked gradients, then the update
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AfterTheFirstSteps_NothingOnTheStepPathIsCompiledAgain(string model, int batch, int threads) =>
        AllModels.Run(model, new Check(batch, threads));

    [Fact]
    public void AllFinite_FindsANaNOrInfinityAtAnyPlace()
    {
        for (int length = 0; length < 40; length++)
        {
            var values = Enumerable.Range(0, length).Select(i => (i - 20) * 1e30f).ToArray();
            Assert.True(TrainingSession<SeedRegression>.AllFinite(values));
            for (int place = 0; place < length; place++)
            {
                foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                {
                    float kept = values[place];
                    values[place] = bad;
                    Assert.False(TrainingSession<SeedRegression>.AllFinite(values), $"{bad} at {place} of {length}");
                    values[place] = kept;
                }
            }
        }
    }

    private sealed class Check(int batch, int threads) : IModelCheck
    {
        public void Run<TModel>() where TModel : ISgdModel<TModel>
        {
            ModelDescription d = TModel.Description;
            (float[] x, float[] y) = TestData.Batch(d, 400, seed: 1);
            (float[] vx, float[] vy) = TestData.Batch(d, 40, seed: 2);
            using var compilations = new CompilationListener();
            using var session = new TrainingSession<TModel>(new Model<TModel>(seed: 1), new Dataset<TModel>(x, y), new TrainingOptions
            {
                LearningRate = 1e-3f, BatchSize = batch, Steps = int.MaxValue, Momentum = 0.9f, Schedule = LearningRateSchedule.Cosine(),
                WarmupSteps = 5, RollBacks = 2, Threads = threads, ProgressInterval = 50, Progress = _ => { },
            }, validation: new Dataset<TModel>(vx, vy));

            // The first steps take every path at least once: snapshots and the parameter check (every 64 steps), an
            // epoch's reshuffle, progress with validation.
            DateTime built = DateTime.UtcNow;
            for (int i = 0; i < 200; i++)
            {
                Assert.True(session.Step());
            }
            DateTime warm = DateTime.UtcNow;
            // Long enough, with pauses, for tiered compilation to act: it promotes a method after 30 calls and a pause
            // of activity in the process of 100 ms, in the background.
            for (int round = 0; round < 12; round++)
            {
                for (int i = 0; i < 300; i++)
                {
                    Assert.True(session.Step());
                }
                Thread.Sleep(60);
            }
            string[] recompiled = compilations.StepMethodsCompiledAgain(built, warm);
            Assert.True(recompiled.Length == 0, $"{d.Name}, batch {batch}, {threads} thread(s), compiled after warm-up:\n{string.Join("\n", recompiled)}");
        }
    }

    /// <summary>The runtime's method-compiled events (JIT keyword) of HpcSgd's methods and the test models'.</summary>
    private sealed class CompilationListener : EventListener
    {
        private const EventKeywords JitKeyword = (EventKeywords)0x10;
        private readonly ConcurrentQueue<(DateTime Time, string Method, bool FirstCompilation)> methods = new();
        private readonly string marker = "Marker" + Guid.NewGuid().ToString("N");
        private volatile bool markerSeen;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, JitKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (!(e.EventName ?? "").StartsWith("MethodLoadVerbose", StringComparison.Ordinal) || e.Payload is null || e.PayloadNames is null)
            {
                return;
            }
            string space = e.Payload[e.PayloadNames.IndexOf("MethodNamespace")]?.ToString() ?? "";
            string name = e.Payload[e.PayloadNames.IndexOf("MethodName")]?.ToString() ?? "";
            // Bits 7-9 of MethodFlags: the code's tier (1 minimal optimization, 2 optimized on first call, 3 tier 0; later ones: 4 tier 1, 5 on-stack replacement, 6 instrumented tier 0).
            int tier = (Convert.ToInt32(e.Payload[e.PayloadNames.IndexOf("MethodFlags")], System.Globalization.CultureInfo.InvariantCulture) >> 7) & 7;
            if (name == marker)
            {
                markerSeen = true;
            }
            else if (space.StartsWith("HpcSgd.", StringComparison.Ordinal) && !space.StartsWith("HpcSgd.Tests.Training", StringComparison.Ordinal))
            {
                methods.Enqueue((e.TimeStamp.ToUniversalTime(), $"{space}::{name}", FirstCompilation: tier is 1 or 2 or 3));
            }
        }

        /// <summary>
        /// The methods the steps ran first (compiled for the first time between <paramref name="built"/> and
        /// <paramref name="warm"/>: a method is compiled on its first call) that were compiled again after <paramref name="warm"/>, once the events up to now
        /// have arrived (they come on a thread of their own). Methods of the construction are left out: tiered compilation
        /// may promote them whenever the process is quiet, though no step runs them.
        /// </summary>
        public string[] StepMethodsCompiledAgain(DateTime built, DateTime warm)
        {
            // A method compiled now, after everything measured: once its event arrives, the earlier ones have too.
            var method = new System.Reflection.Emit.DynamicMethod(marker, typeof(void), Type.EmptyTypes);
            method.GetILGenerator().Emit(System.Reflection.Emit.OpCodes.Ret);
            ((Action)method.CreateDelegate(typeof(Action)))();
            for (int wait = 0; wait < 200 && !markerSeen; wait++)
            {
                Thread.Sleep(50);
            }
            Assert.True(markerSeen, "the runtime's compilation events did not arrive");
            // First compilations only: a method of an earlier test promoted in the background meanwhile is not the steps'.
            var steps = methods.Where(m => m.Time > built && m.Time <= warm && m.FirstCompilation).Select(m => m.Method).ToHashSet();
            return [.. methods.Where(m => m.Time > warm && steps.Contains(m.Method)).Select(m => m.Method).Distinct()];
        }
    }
}

/// <summary>Runs <see cref="SteadyStateCompilationTests"/> alone: other tests' compilations would show in its events.</summary>
[CollectionDefinition(nameof(SteadyStateCompilationTests), DisableParallelization = true)]
public sealed class SteadyStateCompilationCollection
{
}
