using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Tuning;

/// <summary>How far mini-batch gradients of one batch size stray from the full-batch gradient.</summary>
/// <param name="BatchSize">Samples per mini-batch (drawn without replacement).</param>
/// <param name="Draws">Mini-batches drawn.</param>
/// <param name="MeanSquaredDeviation">Mean of |g_B - G|^2: the gradient estimate's variance (trace of its covariance).</param>
/// <param name="MeanSquaredNorm">Mean of |g_B|^2.</param>
public sealed record GradientVariance(int BatchSize, int Draws, double MeanSquaredDeviation, double MeanSquaredNorm);

/// <summary>Mini-batch gradient variance at several batch sizes, around the full-batch gradient.</summary>
/// <param name="Variances">One entry per batch size, ascending.</param>
/// <param name="FullGradientSquaredNorm">|G|^2 of the full-batch gradient.</param>
/// <param name="Slope">Least-squares slope of log variance on log batch size: -1 when the variance falls as 1/B.</param>
/// <param name="TraceSigma">tr(Sigma), the per-sample gradient variance, from B x variance with the finite-population factor (N-1)/(N-B), averaged over batch sizes.</param>
public sealed record GradientVarianceStudy(IReadOnlyList<GradientVariance> Variances, double FullGradientSquaredNorm, double Slope, double TraceSigma)
{
    /// <summary>tr(Sigma) / |G|^2 measured around the full-batch gradient (not the two-batch estimator).</summary>
    public double NoiseScale => TraceSigma / FullGradientSquaredNorm;
}

/// <summary>
/// The simple gradient noise scale B_simple = tr(Sigma) / |G|^2 (McCandlish et al. 2018) from squared gradient
/// norms at two batch sizes, with the paper's unbiased estimators averaged over draws before the ratio.
/// </summary>
/// <param name="Step">Training steps done when measured.</param>
/// <param name="SamplesSeen">Samples drawn by training when measured.</param>
/// <param name="SmallBatch">B_small.</param>
/// <param name="BigBatch">B_big.</param>
/// <param name="Draws">Pairs of mini-batches averaged.</param>
/// <param name="GradientSquaredNorm">Estimate of |G|^2 = (B_big |G_big|^2 - B_small |G_small|^2) / (B_big - B_small).</param>
/// <param name="TraceSigma">Estimate of tr(Sigma) = (|G_small|^2 - |G_big|^2) / (1/B_small - 1/B_big).</param>
/// <param name="GradientSquaredNormError">Standard error of <paramref name="GradientSquaredNorm"/> over the draws.</param>
/// <param name="NoiseScaleHalfWidth">Half-width of the 95% confidence interval of B_simple (delta method over the draws' pairs); NaN when not resolved.</param>
public sealed record NoiseScaleEstimate(int Step, long SamplesSeen, int SmallBatch, int BigBatch, int Draws, double GradientSquaredNorm, double TraceSigma,
    double GradientSquaredNormError, double NoiseScaleHalfWidth = double.NaN)
{
    /// <summary>The 95% interval's lower end (NaN when not resolved).</summary>
    public double NoiseScaleLow => NoiseScale - NoiseScaleHalfWidth;

    /// <summary>The 95% interval's upper end (NaN when not resolved).</summary>
    public double NoiseScaleHigh => NoiseScale + NoiseScaleHalfWidth;

    /// <summary>
    /// True when |G|^2 is measured above its noise (more than two standard errors above 0) and tr(Sigma) is
    /// positive. Near a minimum of the training loss the true |G|^2 tends to 0, the unbiased estimate scatters around
    /// it (it can even come out negative), and B_simple is only known to be large: then this is false.
    /// </summary>
    public bool IsResolved => GradientSquaredNorm > 2 * GradientSquaredNormError && TraceSigma > 0;

    /// <summary>B_simple: around this batch size, larger batches stop paying for themselves in steps saved (NaN when not <see cref="IsResolved"/>).</summary>
    public double NoiseScale => IsResolved ? TraceSigma / GradientSquaredNorm : double.NaN;
}

/// <summary>
/// Measurements of gradient noise: the variance of the mini-batch gradient against the batch size (it falls as
/// 1/B: the measurable form of "a larger batch gives a more accurate gradient") and the gradient noise scale,
/// once or over a training run. Buffers are allocated once per call; the gradient passes allocate nothing.
/// </summary>
public static partial class GradientNoise
{
    /// <summary>The gradient of the mean loss over all of <paramref name="data"/> at <paramref name="parameters"/>.</summary>
    public static void FullGradient<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> data, Span<float> gradient)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(data);
        var scratch = new Scratch<TModel>(data, 0);
        scratch.FullGradient(parameters, gradient);
    }

    /// <summary>Draws <paramref name="draws"/> mini-batches at each batch size and measures their spread around the full gradient.</summary>
    public static GradientVarianceStudy MeasureVariance<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> data,
        IReadOnlyList<int> batchSizes, int draws, ulong seed)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckBatchSizes(batchSizes, data.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 2);
        int[] sizes = [.. batchSizes.Distinct().Order()];
        var scratch = new Scratch<TModel>(data, sizes[^1]);
        int n = TModel.Description.ParameterCount;
        var full = new float[n];
        scratch.FullGradient(parameters, full);
        double fullNorm = SquaredNorm(full);
        var random = new SeededRandom(seed);
        var variances = new List<GradientVariance>(sizes.Length);
        foreach (int batch in sizes)
        {
            double deviation = 0, norm = 0;
            for (int d = 0; d < draws; d++)
            {
                ReadOnlySpan<float> g = scratch.BatchGradient(parameters, batch, ref random);
                deviation += SquaredDistance(g, full);
                norm += SquaredNorm(g);
            }
            variances.Add(new GradientVariance(batch, draws, deviation / draws, norm / draws));
        }
        double slope = Slope(variances.Select(v => (Math.Log(v.BatchSize), Math.Log(v.MeanSquaredDeviation))).ToArray());
        int count = data.Count;
        double trace = variances.Where(v => v.BatchSize < count)
            .Select(v => v.BatchSize * v.MeanSquaredDeviation * (count - 1) / (count - v.BatchSize)).DefaultIfEmpty(double.NaN).Average();
        return new GradientVarianceStudy(variances, fullNorm, slope, trace);
    }

    /// <summary>Relative half-width of B_simple's 95% interval that more draws are taken for (up to <see cref="MaxDrawFactor"/> x the draws asked for).</summary>
    public const double TargetPrecision = 0.10;

    /// <summary>At most this many times the draws asked for are taken to reach <see cref="TargetPrecision"/>.</summary>
    public const int MaxDrawFactor = 10;

    /// <summary>
    /// Estimates B_simple at <paramref name="parameters"/> from at least <paramref name="draws"/> pairs of mini-batches of
    /// two sizes; while the estimate is resolved but its 95% interval is wider than +-<see cref="TargetPrecision"/>, more
    /// pairs are drawn (up to <see cref="MaxDrawFactor"/> x <paramref name="draws"/>). A small batch of 1 is read from
    /// each big batch's per-example gradient norms (<see cref="EstimateNoiseScaleFromPerExampleNorms"/>): same estimand,
    /// far less noise, one gradient per draw.
    /// </summary>
    public static NoiseScaleEstimate EstimateNoiseScale<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> data,
        int smallBatch, int bigBatch, int draws, ulong seed)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckPair(smallBatch, bigBatch, data.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        var scratch = new Scratch<TModel>(data, bigBatch);
        var random = new SeededRandom(seed);
        return Estimate(scratch, parameters, smallBatch, bigBatch, draws, ref random, 0, 0, perExample: smallBatch == 1);
    }

    /// <summary>
    /// Estimates B_simple like <see cref="EstimateNoiseScale"/>, from one batch size: each draw's per-example gradient
    /// norms (<see cref="ISgdModel{TSelf}.PerExampleGradientNorms"/>) stand in for the small batches, so a draw costs one
    /// gradient of <paramref name="batchSize"/> samples plus a pass over its rows, where the two-batch estimator computes
    /// two gradients. tr(Sigma) ~ (sum |g_b|^2 - B |G_B|^2) / (B - 1) and |G|^2 ~ |G_B|^2 - tr(Sigma) (1/B - 1/N) (drawn without replacement from N); the result
    /// reports SmallBatch 1.
    /// </summary>
    public static NoiseScaleEstimate EstimateNoiseScaleFromPerExampleNorms<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> data,
        int batchSize, int draws, ulong seed)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckPair(1, batchSize, data.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        var scratch = new Scratch<TModel>(data, batchSize);
        var random = new SeededRandom(seed);
        return Estimate(scratch, parameters, 1, batchSize, draws, ref random, 0, 0, perExample: true);
    }

    /// <summary>
    /// Trains a copy of <paramref name="parameters"/> with <paramref name="options"/> and estimates B_simple at
    /// <paramref name="checkpoints"/> evenly spaced points (the first before any step). The noise scale typically
    /// grows as the loss falls: the gradient signal shrinks faster than its noise. A small batch of 1 uses the
    /// per-example gradient norms of the big batches.
    /// </summary>
    public static IReadOnlyList<NoiseScaleEstimate> OverTraining<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> data,
        TrainingOptions options, int checkpoints, int smallBatch, int bigBatch, int draws, ulong seed)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        CheckPair(smallBatch, bigBatch, data.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpoints, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        var model = new Model<TModel>(parameters);
        using var session = new TrainingSession<TModel>(model, data, options);
        var scratch = new Scratch<TModel>(data, bigBatch);
        var random = new SeededRandom(seed);
        var estimates = new List<NoiseScaleEstimate>(checkpoints);
        for (int c = 0; c < checkpoints; c++)
        {
            int target = (int)((long)session.TotalSteps * c / (checkpoints - 1));
            while (session.StepsDone < target && session.Step())
            {
            }
            if (session.Diverged)
            {
                break;
            }
            estimates.Add(Estimate(scratch, model.Parameters, smallBatch, bigBatch, draws, ref random, session.StepsDone, session.SamplesSeen, perExample: smallBatch == 1));
        }
        return estimates;
    }

    private static NoiseScaleEstimate Estimate<TModel>(Scratch<TModel> scratch, ReadOnlySpan<float> parameters, int small, int big,
        int draws, ref SeededRandom random, int step, long samples, bool perExample = false)
        where TModel : ISgdModel<TModel>
    {
        // Each pair gives unbiased estimates of |G|^2 (g) and tr(Sigma) (t); B_simple is the ratio of their means, and
        // the delta method turns the pairs' variances and covariance into its interval.
        double sumG = 0, sumT = 0, sumGG = 0, sumTT = 0, sumGT = 0;
        int n = 0;
        NoiseScaleEstimate estimate;
        while (true)
        {
            for (int d = 0; d < draws; d++, n++)
            {
                // Per example: the mean of the samples' own squared gradient norms is the small (size 1) batches' draw.
                double smallDraw = perExample ? double.NaN : SquaredNorm(scratch.BatchGradient(parameters, small, ref random));
                double bigDraw = SquaredNorm(scratch.BatchGradient(parameters, big, ref random));
                if (perExample)
                {
                    smallDraw = scratch.PerExampleSquaredNormSum(parameters, big) / big;
                }
                // Batches are drawn without replacement from N samples, so a batch of B carries S^2 (1/B - 1/N) of
                // noise, not S^2 / B: t is still unbiased for S^2, but McCandlish's |G|^2 falls short by S^2 / N.
                double t = (smallDraw - bigDraw) / (1.0 / small - 1.0 / big);
                double g = (big * bigDraw - small * smallDraw) / (big - small) + t / scratch.Count;
                sumG += g;
                sumT += t;
                sumGG += g * g;
                sumTT += t * t;
                sumGT += g * t;
            }
            double meanG = sumG / n, meanT = sumT / n;
            double correction = n > 1 ? n / (n - 1.0) : double.PositiveInfinity;
            double varG = Math.Max(0, sumGG / n - meanG * meanG) * correction;
            double varT = Math.Max(0, sumTT / n - meanT * meanT) * correction;
            double cov = (sumGT / n - meanG * meanT) * correction;
            estimate = FromMoments(step, samples, small, big, n, meanG, meanT, varG, varT, cov);
            if (!estimate.IsResolved || estimate.NoiseScaleHalfWidth <= TargetPrecision * estimate.NoiseScale || n >= MaxDrawFactor * draws)
            {
                return estimate;
            }
        }
    }

    /// <summary>
    /// The estimate from <paramref name="n"/> draws' unbiased |G|^2 (g) and tr(Sigma) (t): their means, variances and
    /// covariance. B_simple is the ratio of the means; the delta method gives its 95% interval.
    /// </summary>
    internal static NoiseScaleEstimate FromMoments(int step, long samples, int small, int big, int n,
        double meanG, double meanT, double varG, double varT, double cov)
    {
        double ratio = meanT / meanG;
        double half = 1.96 * Math.Sqrt(Math.Max(0, varT - 2 * ratio * cov + ratio * ratio * varG) / n) / Math.Abs(meanG);
        var estimate = new NoiseScaleEstimate(step, samples, small, big, n, meanG, meanT, Math.Sqrt(varG / n));
        return estimate with { NoiseScaleHalfWidth = estimate.IsResolved ? half : double.NaN };
    }

    /// <summary>Least-squares slope of y on x.</summary>
    internal static double Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 2)
        {
            return double.NaN;
        }
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y), sxy = 0, sxx = 0;
        foreach ((double x, double y) in points)
        {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx) * (x - mx);
        }
        return sxx == 0 ? double.NaN : sxy / sxx;
    }

    private static double SquaredNorm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += (double)v * v;
        }
        return sum;
    }

    private static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    private static void CheckBatchSizes(IReadOnlyList<int> batchSizes, int count)
    {
        ArgumentNullException.ThrowIfNull(batchSizes);
        if (batchSizes.Count < 2 || batchSizes.Distinct().Count() < 2)
        {
            throw new ArgumentException("batchSizes needs at least two different batch sizes to show how the variance falls.", nameof(batchSizes));
        }
        foreach (int b in batchSizes)
        {
            if (b < 1 || b > count)
            {
                throw new ArgumentOutOfRangeException(nameof(batchSizes), b, $"Batch size {b} is not from 1 to the data set's {count} samples.");
            }
        }
    }

    private static void CheckPair(int small, int big, int count)
    {
        if (small < 1 || big <= small || big > count)
        {
            throw new ArgumentOutOfRangeException(nameof(big), big,
                $"The noise scale needs 1 <= small batch < big batch <= the data set's {count} samples (got {small} and {big}).");
        }
    }
}
