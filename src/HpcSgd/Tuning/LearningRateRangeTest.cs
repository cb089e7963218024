using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Tuning;

/// <summary>Settings of a learning-rate range test.</summary>
public sealed record RangeTestOptions
{
    /// <summary>The learning rate of the first step.</summary>
    public float MinLearningRate { get; init; } = 1e-6f;

    /// <summary>The learning rate of the last step, if the loss has not blown up before.</summary>
    public float MaxLearningRate { get; init; } = 10f;

    /// <summary>Steps from the smallest to the largest rate.</summary>
    public int Steps { get; init; } = 300;

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Seed of the batch sampling.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Momentum during the test (0: plain SGD).</summary>
    public float Momentum { get; init; }

    /// <summary>Weight of the past in the exponential moving average of the loss (fastai: 0.98).</summary>
    public float Smoothing { get; init; } = 0.98f;

    /// <summary>The test stops once the smoothed loss exceeds this multiple of its minimum (fastai: 4).</summary>
    public float StopFactor { get; init; } = 4f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate(int trainingSamples)
    {
        if (!(float.IsFinite(MinLearningRate) && MinLearningRate > 0f && float.IsFinite(MaxLearningRate) && MaxLearningRate > MinLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLearningRate), MaxLearningRate,
                FormattableString.Invariant($"RangeTestOptions needs 0 < MinLearningRate < MaxLearningRate (got {MinLearningRate} and {MaxLearningRate})."));
        }
        if (Steps < 10)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "RangeTestOptions.Steps must be at least 10.");
        }
        if (BatchSize < 1 || BatchSize > trainingSamples)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"RangeTestOptions.BatchSize must be from 1 to the training-set size ({trainingSamples}).");
        }
        if (!(Smoothing >= 0f && Smoothing < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(Smoothing), Smoothing, "RangeTestOptions.Smoothing must be in [0, 1).");
        }
        if (!(StopFactor > 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(StopFactor), StopFactor, "RangeTestOptions.StopFactor must be greater than 1.");
        }
    }
}

/// <summary>
/// A range test's curve and its suggestions. <see cref="Steepest"/>: where the smoothed loss falls fastest against
/// log(learning rate). <see cref="Valley"/>: fastai's "valley" — two thirds of the way down the longest falling
/// stretch of the curve. <see cref="MinimumOverTen"/>: the rate at the smoothed minimum divided by 10, a margin
/// below the point where the loss turns up before it diverges.
/// </summary>
public sealed record RangeTestResult(int BatchSize, ulong Seed, IReadOnlyList<float> LearningRates, IReadOnlyList<float> Losses,
    IReadOnlyList<float> SmoothedLosses, float Steepest, float Valley, float Minimum, bool Diverged)
{
    /// <summary>The rate at the smoothed minimum / 10.</summary>
    public float MinimumOverTen => Minimum / 10f;

    /// <summary>
    /// The suggestion HpcSgd reports first: <see cref="Steepest"/>. In our tests (digits, the classic example) it
    /// lands within a factor of 3 of the best constant rate of a fine sweep; the valley tends to be 3-4x more
    /// cautious and the minimum / 10 moves most between seeds.
    /// </summary>
    public float Suggested => Steepest;
}

/// <summary>
/// The learning-rate range test (Smith 2015, "Cyclical Learning Rates"; fastai's <c>lr_find</c>): the learning
/// rate grows exponentially over a few hundred steps, the smoothed loss is recorded, training stops when the loss
/// blows up, and the parameters are left as they were. <see cref="Repeat"/> runs it over seeds and batch sizes,
/// showing how much the suggestion moves between seeds and how the usable range shifts with the batch size.
/// </summary>
public static class LearningRateRangeTest
{
    /// <summary>Runs the test from <paramref name="parameters"/>, which are not modified.</summary>
    public static RangeTestResult Run<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> data, RangeTestOptions options)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(data.Count);
        var model = new Model<TModel>(parameters); // a copy: the caller's parameters stay as they were
        using var session = new TrainingSession<TModel>(model, data, new TrainingOptions
        {
            LearningRate = options.MinLearningRate,
            BatchSize = options.BatchSize,
            Steps = options.Steps,
            Seed = options.Seed,
            Momentum = options.Momentum,
            Schedule = LearningRateSchedule.Exponential(options.MaxLearningRate / options.MinLearningRate),
            DivergenceFactor = float.MaxValue, // the test decides when the loss has blown up
        });
        var rates = new List<float>(options.Steps);
        var losses = new List<float>(options.Steps);
        var smoothed = new List<float>(options.Steps);
        double average = 0;
        float minimum = float.PositiveInfinity;
        bool diverged = false;
        while (session.Step())
        {
            float loss = session.LastLoss;
            average = options.Smoothing * average + (1 - options.Smoothing) * loss;
            float debiased = (float)(average / (1 - Math.Pow(options.Smoothing, session.StepsDone)));
            rates.Add(session.LastLearningRate);
            losses.Add(loss);
            smoothed.Add(debiased);
            // The stop rule waits until the average spans enough samples: at batch 1 the first few are single samples'
            // losses, whose lucky lows made any later loss look like a blow-up.
            bool averaged = session.SamplesSeen >= DivergenceWatch.Samples && session.StepsDone >= 10;
            if (averaged)
            {
                minimum = MathF.Min(minimum, debiased);
            }
            if (!float.IsFinite(debiased) || (averaged && debiased > options.StopFactor * minimum))
            {
                diverged = true;
                break;
            }
        }
        if (session.Diverged)
        {
            diverged = true; // a non-finite loss: the session refused the step
        }
        (float steepest, float valley, float atMinimum) = Suggest(rates, smoothed);
        return new RangeTestResult(options.BatchSize, options.Seed, rates, losses, smoothed, steepest, valley, atMinimum, diverged);
    }

    /// <summary>The test for every seed x batch size, in that order (batch sizes outer).</summary>
    public static IReadOnlyList<RangeTestResult> Repeat<TModel>(ReadOnlySpan<float> parameters, Dataset<TModel> data, RangeTestOptions options,
        IReadOnlyList<ulong> seeds, IReadOnlyList<int> batchSizes)
        where TModel : ISgdModel<TModel>
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(batchSizes);
        var results = new List<RangeTestResult>(seeds.Count * batchSizes.Count);
        foreach (int batch in batchSizes)
        {
            foreach (ulong seed in seeds)
            {
                results.Add(Run(parameters, data, options with { BatchSize = batch, Seed = seed }));
            }
        }
        return results;
    }

    /// <summary>Steepest descent, valley and minimum of a smoothed curve (ignoring the first and last few points, as fastai does).</summary>
    internal static (float Steepest, float Valley, float Minimum) Suggest(IReadOnlyList<float> rates, IReadOnlyList<float> smoothed)
    {
        int n = smoothed.Count;
        if (n < 3)
        {
            return (float.NaN, float.NaN, float.NaN);
        }
        // Trim the warm-up of the moving average and the blow-up at the end.
        int skipStart = Math.Min(10, n / 10), skipEnd = Math.Min(5, n / 10);
        int from = skipStart, to = Math.Max(from + 2, n - skipEnd);
        int minimumAt = from;
        for (int i = from; i < to; i++)
        {
            if (smoothed[i] < smoothed[minimumAt])
            {
                minimumAt = i;
            }
        }
        // The slope over a window of +-5% of the points: neighbouring points are only ~0.05 apart in log(rate), so a
        // two-point slope turns the batch noise left in the moving average into false "steep" spots at tiny rates.
        int window = Math.Max(1, n / 20);
        // Only the descent counts: from where the loss has dropped 20% of the way from its starting plateau to its
        // minimum, up to the minimum. At tiny rates (batch 1 especially) the loss is flat but noisy, and a noisy
        // wiggle there must not be taken for the steepest descent.
        double plateau = Median(smoothed, from, Math.Min(minimumAt + 1, from + Math.Max(3, n / 10)));
        double threshold = plateau - 0.2 * (plateau - smoothed[minimumAt]);
        int descentFrom = from;
        while (descentFrom < minimumAt && smoothed[descentFrom] > threshold)
        {
            descentFrom++;
        }
        int searchFrom = Math.Max(from + window, descentFrom), searchTo = Math.Min(to - window, minimumAt + 1);
        if (searchTo <= searchFrom)
        {
            (searchFrom, searchTo) = (from + window, to - window);
        }
        int steepestAt = Math.Clamp(minimumAt, from, to - 1);
        double steepestSlope = double.PositiveInfinity;
        for (int i = searchFrom; i < searchTo; i++)
        {
            double slope = (smoothed[i + window] - smoothed[i - window]) / (Math.Log(rates[i + window]) - Math.Log(rates[i - window]));
            if (slope < steepestSlope)
            {
                steepestSlope = slope;
                steepestAt = i;
            }
        }
        return (rates[steepestAt], rates[Valley(smoothed, from, to)], rates[minimumAt]);
    }

    private static double Median(IReadOnlyList<float> values, int from, int to)
    {
        float[] part = [.. values.Skip(from).Take(Math.Max(1, to - from))];
        Array.Sort(part);
        return part[part.Length / 2];
    }

    /// <summary>fastai's valley: the longest strictly falling subsequence of the loss; the point two thirds along it.</summary>
    private static int Valley(IReadOnlyList<float> losses, int from, int to)
    {
        int n = to - from;
        var lengths = new int[n];
        int maxStart = 0, maxEnd = 0;
        for (int i = 0; i < n; i++)
        {
            lengths[i] = 1;
            for (int j = 0; j < i; j++)
            {
                if (losses[from + i] < losses[from + j] && lengths[i] < lengths[j] + 1)
                {
                    lengths[i] = lengths[j] + 1;
                }
            }
            if (lengths[maxEnd] < lengths[i])
            {
                maxEnd = i;
                maxStart = maxEnd - lengths[maxEnd];
            }
        }
        double sections = (maxEnd - maxStart) / 3.0;
        int index = maxStart + (int)sections + (int)(sections / 2);
        return from + Math.Clamp(index, 0, n - 1);
    }
}
