using HpcSgd.Tuning;

namespace HpcSgd.Training;

/// <summary>
/// The gradient noise scale B_simple measured inside training from each step's own batch, with no extra sampling:
/// the kernels' per-example gradient norms and the batch gradient give unbiased per-step estimates of tr(Sigma) and
/// |G|^2 (batches drawn without replacement from N samples), weighted exponentially over about a window of steps.
/// Adding a step allocates nothing.
/// </summary>
internal sealed class NoiseTracker(int window, int trainingCount)
{
    private readonly double keep = 1 - 1.0 / window;
    private double signal, trace, signalSquared, traceSquared, product, weight;
    private int steps;

    /// <summary>Adds one step: the sum of its samples' squared gradient norms and its batch gradient's squared norm.</summary>
    public void Add(double perExampleSquaredNormSum, double batchGradientSquaredNorm, int batch)
    {
        if (batch < 2)
        {
            return; // one sample's gradient says nothing about the spread between samples
        }
        double meanSquared = perExampleSquaredNormSum / batch;
        double t = (meanSquared - batchGradientSquaredNorm) / (1 - 1.0 / batch);
        double g = (batch * batchGradientSquaredNorm - meanSquared) / (batch - 1) + t / trainingCount;
        double fresh = 1 - keep;
        signal = keep * signal + fresh * g;
        trace = keep * trace + fresh * t;
        signalSquared = keep * signalSquared + fresh * g * g;
        traceSquared = keep * traceSquared + fresh * t * t;
        product = keep * product + fresh * g * t;
        weight = keep * weight + fresh;
        steps++;
    }

    /// <summary>B_simple now, or NaN before two steps or while |G|^2 is within its noise (computed without allocating).</summary>
    public double NoiseScale
    {
        get
        {
            Moments(out int n, out double g, out double t, out double varG, out _, out _);
            return n >= 2 && g > 2 * Math.Sqrt(varG / n) && t > 0 ? t / g : double.NaN;
        }
    }

    /// <summary>The estimate with its interval (the delta method over the weighted steps), or null before any step with a batch of 2 or more.</summary>
    public NoiseScaleEstimate? Estimate(int step, long samples, int batch)
    {
        Moments(out int n, out double g, out double t, out double varG, out double varT, out double cov);
        return steps == 0 ? null : GradientNoise.FromMoments(step, samples, 1, batch, n, g, t, varG, varT, cov);
    }

    /// <summary>Debiased weighted means and variances; n is the number of steps the weights amount to (at most about 2 x window).</summary>
    private void Moments(out int n, out double g, out double t, out double varG, out double varT, out double cov)
    {
        n = (int)Math.Min(steps, (1 + keep) / (1 - keep));
        if (steps == 0)
        {
            (g, t, varG, varT, cov) = (double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
            return;
        }
        g = signal / weight;
        t = trace / weight;
        double correction = n > 1 ? n / (n - 1.0) : double.PositiveInfinity;
        varG = Math.Max(0, signalSquared / weight - g * g) * correction;
        varT = Math.Max(0, traceSquared / weight - t * t) * correction;
        cov = (product / weight - g * t) * correction;
    }
}
