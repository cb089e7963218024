using System.Runtime.CompilerServices;
namespace HpcSgd.Training;

/// <summary>
/// Decides when training has diverged, on a signal that is as steady at batch 1 as at batch 1,000: a loss that is not
/// finite at once; otherwise a moving average of the batch losses over about <see cref="Samples"/> samples against the
/// mean loss of the first <see cref="Samples"/> samples, times the divergence factor. One sample's loss swings by orders
/// of magnitude from sample to sample, so a rule on single batch losses stopped healthy batch-1 runs after a few steps.
/// </summary>
internal sealed class DivergenceWatch(float factor)
{
    /// <summary>Samples in the reference mean and, roughly, in the moving average.</summary>
    public const int Samples = 64;

    private double referenceSum;
    private long referenceSamples;
    private float limit = float.PositiveInfinity;
    private float average;

    /// <summary>
    /// The largest batch loss that keeps the moving average within the limit, for a step of <paramref name="batch"/>
    /// samples (infinite while the reference is gathered): a fused step skips its update above it, so a step judged
    /// diverged leaves the parameters as they were.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float LossLimit(int batch)
    {
        if (float.IsPositiveInfinity(limit))
        {
            return float.PositiveInfinity;
        }
        float weight = Weight(batch);
        return (limit - (1 - weight) * average) / weight;
    }

    /// <summary>Takes a step's mean batch loss; true when training has diverged (then the step must not count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Diverges(float loss, int batch)
    {
        if (!float.IsFinite(loss))
        {
            return true;
        }
        if (float.IsPositiveInfinity(limit))
        {
            referenceSum += (double)loss * batch;
            referenceSamples += batch;
            if (referenceSamples >= Samples)
            {
                average = (float)(referenceSum / referenceSamples);
                limit = factor * MathF.Max(average, 1e-3f);
            }
            return false;
        }
        float weight = Weight(batch);
        float next = (1 - weight) * average + weight * loss;
        if (next > limit)
        {
            return true;
        }
        average = next;
        return false;
    }

    /// <summary>
    /// After parameters were rolled back: the moving average starts again from the reference mean, and the limit, set by
    /// the run's start, stays (a restart must not loosen it).
    /// </summary>
    public void Resume()
    {
        if (referenceSamples > 0 && !float.IsPositiveInfinity(limit))
        {
            average = (float)(referenceSum / referenceSamples);
        }
    }

    /// <summary>Everything the watch has learned (the reference, the limit, the moving average), for a checkpoint.</summary>
    public (double ReferenceSum, long ReferenceSamples, float Limit, float Average) State
    {
        get => (referenceSum, referenceSamples, limit, average);
        set => (referenceSum, referenceSamples, limit, average) = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Weight(int batch) => MathF.Min(1f, (float)batch / Samples);
}
