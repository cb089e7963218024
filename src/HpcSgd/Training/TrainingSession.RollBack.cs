using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HpcSgd.Kernels;

namespace HpcSgd.Training;

public sealed partial class TrainingSession<TModel>
{
    /// <summary>Steps between the snapshots that <see cref="TrainingOptions.RollBacks"/> returns to.</summary>
    private const int SnapshotInterval = 64;

    private readonly AlignedFloats[] snapshots = [];
    private readonly int[] snapshotSteps = [];
    private readonly RollBackEvent[] rollBackEvents = [];
    private int newestSnapshot;
    private int rollBackCount;
    private float rateScale = 1f;

    /// <summary>
    /// True when no parameter is NaN or infinite, in one vector pass (x - x is 0 for a finite x and NaN otherwise, and a
    /// NaN survives the sum). Its own loop rather than a library call, so that this method, which runs every 64 steps, is
    /// compiled once like the rest of the step and nothing it calls is recompiled mid-run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool AllFinite(ReadOnlySpan<float> values)
    {
        ref float first = ref MemoryMarshal.GetReference(values);
        var sum = Vector<float>.Zero;
        int i = 0;
        for (; i + Vector<float>.Count <= values.Length; i += Vector<float>.Count)
        {
            var v = Vector.LoadUnsafe(ref first, (nuint)i);
            sum += v - v;
        }
        float tail = 0f;
        for (; i < values.Length; i++)
        {
            tail += values[i] - values[i];
        }
        return Vector.Sum(sum) + tail == 0f;
    }

    private bool ParametersFinite() => AllFinite(model.Parameters);

    /// <summary>Where training recovered from divergence (<see cref="TrainingOptions.RollBacks"/>), in order.</summary>
    public IReadOnlyList<RollBackEvent> RollBacks => new ArraySegment<RollBackEvent>(rollBackEvents, 0, rollBackCount);

    /// <summary>The factor on <see cref="TrainingOptions.LearningRate"/> left by roll-backs (1 until the first).</summary>
    public float LearningRateScale => rateScale;

    /// <summary>
    /// Recovers from divergence (or goes back for any reason): the parameters become <paramref name="parameters"/>,
    /// momentum is cleared, the learning rate is multiplied by <paramref name="learningRateFactor"/> from the next step on,
    /// and training may continue (<see cref="Diverged"/> is cleared; the divergence limit set at the start stays). Steps
    /// done, samples seen and the sampling order go on where they were: the budget counts the work spent.
    /// </summary>
    public void RollBack(ReadOnlySpan<float> parameters, float learningRateFactor)
    {
        if (parameters.Length != model.Parameters.Length)
        {
            throw new ArgumentException($"parameters holds {parameters.Length} floats but {TModel.Description.Name} has {model.Parameters.Length}.", nameof(parameters));
        }
        if (!(learningRateFactor > 0f) || !float.IsFinite(learningRateFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRateFactor), learningRateFactor, "learningRateFactor must be finite and greater than 0.");
        }
        parameters.CopyTo(model.Parameters);
        velocity.Span.Clear();
        rateScale *= learningRateFactor;
        Diverged = false;
        divergence.Resume();
    }

    /// <summary>With <see cref="TrainingOptions.RollBacks"/>, two snapshot buffers, the first holding the start.</summary>
    private (AlignedFloats[] Snapshots, int[] Steps, RollBackEvent[] Events) RollBackBuffers()
    {
        if (options.RollBacks == 0)
        {
            return ([], [], []);
        }
        AlignedFloats[] buffers = [new(model.Parameters.Length), new(model.Parameters.Length)];
        model.Parameters.CopyTo(buffers[0]);
        return (buffers, [0, -1], new RollBackEvent[options.RollBacks]);
    }

    /// <summary>Copies the parameters over the older snapshot (called every <see cref="SnapshotInterval"/> steps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TakeSnapshot()
    {
        if (snapshots.Length == 0)
        {
            return;
        }
        newestSnapshot ^= 1;
        model.Parameters.CopyTo(snapshots[newestSnapshot]);
        snapshotSteps[newestSnapshot] = StepsDone;
    }

    /// <summary>
    /// On divergence, while roll-backs remain: back to the older snapshot (64 to 128 steps before, so not one taken as
    /// the run was already coming apart), the rate halved. False when none remain.
    /// </summary>
    private bool TryRollBack(float loss, int step)
    {
        if (rollBackCount >= rollBackEvents.Length)
        {
            return false;
        }
        int older = newestSnapshot ^ 1;
        int use = snapshotSteps[older] >= 0 ? older : newestSnapshot;
        RollBack(snapshots[use], 0.5f);
        rollBackEvents[rollBackCount++] = new RollBackEvent(step, loss, snapshotSteps[use], options.LearningRate * rateScale);
        return true;
    }
}
