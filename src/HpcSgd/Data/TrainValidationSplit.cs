using HpcSgd.Training;

namespace HpcSgd.Data;

/// <summary>
/// Rows of a table divided into a training and a validation part by a seeded shuffle, with the features
/// standardised by a <see cref="Standardizer"/> fitted on the training part only (so nothing about the validation
/// rows leaks into training).
/// </summary>
/// <param name="TrainFeatures">Training features, row-major, standardised.</param>
/// <param name="TrainTargets">Training targets.</param>
/// <param name="ValidationFeatures">Validation features, row-major, standardised with the training statistics.</param>
/// <param name="ValidationTargets">Validation targets.</param>
/// <param name="Scaling">The fitted standardisation (apply it to new inputs before predicting).</param>
public sealed record TrainValidationSplit(float[] TrainFeatures, float[] TrainTargets, float[] ValidationFeatures, float[] ValidationTargets, Standardizer Scaling)
{
    /// <summary>Splits <paramref name="table"/>: <paramref name="validationFraction"/> of the rows (at least one) go to validation.</summary>
    public static TrainValidationSplit Create(CsvTable table, double validationFraction, ulong seed, bool standardize = true)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Create(table.Features, table.Targets, table.FeatureCount, validationFraction, seed, standardize);
    }

    /// <summary>Splits rows of <paramref name="features"/> (width <paramref name="width"/>) and one target each.</summary>
    public static TrainValidationSplit Create(ReadOnlySpan<float> features, ReadOnlySpan<float> targets, int width, double validationFraction, ulong seed, bool standardize = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        int count = targets.Length;
        if (features.Length != (long)count * width)
        {
            throw new ArgumentException($"features holds {features.Length} floats; {count} rows of {width} need {(long)count * width}.", nameof(features));
        }
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be strictly between 0 and 1.");
        }
        int validation = Math.Max(1, (int)Math.Round(count * validationFraction));
        if (validation >= count)
        {
            throw new ArgumentException($"{count} rows are too few to keep {validation} for validation and still train.", nameof(validationFraction));
        }
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        var random = new SeededRandom(seed);
        random.Shuffle(order);
        int train = count - validation;
        float[] trainX = Rows(features, width, order.AsSpan(0, train)), validX = Rows(features, width, order.AsSpan(train));
        float[] trainY = Rows(targets, 1, order.AsSpan(0, train)), validY = Rows(targets, 1, order.AsSpan(train));
        Standardizer scaling = standardize ? Standardizer.Fit(trainX, width) : Standardizer.Identity(width);
        scaling.Apply(trainX);
        scaling.Apply(validX);
        return new TrainValidationSplit(trainX, trainY, validX, validY, scaling);
    }

    private static float[] Rows(ReadOnlySpan<float> source, int width, ReadOnlySpan<int> rows)
    {
        var result = new float[rows.Length * width];
        for (int i = 0; i < rows.Length; i++)
        {
            source.Slice(rows[i] * width, width).CopyTo(result.AsSpan(i * width, width));
        }
        return result;
    }
}

/// <summary>
/// Per-column standardisation x' = (x - mean) / std, with the mean and (population) standard deviation of the
/// data it was fitted on. A constant column is only centred (its std is taken as 1), never divided by zero.
/// </summary>
public sealed class Standardizer
{
    private readonly float[] means;
    private readonly float[] scales;

    private Standardizer(float[] means, float[] scales)
    {
        this.means = means;
        this.scales = scales;
    }

    /// <summary>Column means of the fitted data.</summary>
    public IReadOnlyList<float> Means => means;

    /// <summary>Column standard deviations (1 for constant columns).</summary>
    public IReadOnlyList<float> Scales => scales;

    /// <summary>The transform that changes nothing.</summary>
    public static Standardizer Identity(int width) => new(new float[width], [.. Enumerable.Repeat(1f, width)]);

    /// <summary>Fits on rows of <paramref name="features"/> of width <paramref name="width"/>.</summary>
    public static Standardizer Fit(ReadOnlySpan<float> features, int width)
    {
        int rows = features.Length / width;
        var mean = new double[width];
        var square = new double[width];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < width; c++)
            {
                double v = features[r * width + c];
                mean[c] += v;
                square[c] += v * v;
            }
        }
        var means = new float[width];
        var scales = new float[width];
        for (int c = 0; c < width; c++)
        {
            double m = mean[c] / rows;
            double variance = Math.Max(0, square[c] / rows - m * m);
            means[c] = (float)m;
            scales[c] = variance > 1e-12 * Math.Max(1, m * m) ? (float)Math.Sqrt(variance) : 1f;
        }
        return new Standardizer(means, scales);
    }

    /// <summary>Standardises rows of <paramref name="features"/> in place.</summary>
    public void Apply(Span<float> features)
    {
        int width = means.Length;
        if (features.Length % width != 0)
        {
            throw new ArgumentException($"features holds {features.Length} floats, not whole rows of {width}.", nameof(features));
        }
        for (int i = 0; i < features.Length; i++)
        {
            int c = i % width;
            features[i] = (features[i] - means[c]) / scales[c];
        }
    }
}
