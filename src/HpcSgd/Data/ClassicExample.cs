using HpcSgd.Training;

namespace HpcSgd.Data;

/// <summary>
/// The classic mini-batch SGD example: x ~ U(0, 1), y = 3x + 2 + U(0, 1) noise. The noise has mean 0.5, so the
/// least-squares line lies near slope 3 and intercept 2.5; with 100 samples the fitted slope varies by about
/// +-0.1 with the seed.
/// </summary>
public static class ClassicExample
{
    /// <summary>The true slope.</summary>
    public const float Slope = 3f;

    /// <summary>The true intercept, before the noise's mean of 0.5.</summary>
    public const float Intercept = 2f;

    /// <summary>Draws <paramref name="count"/> samples (x, y) from <paramref name="seed"/>.</summary>
    public static (float[] X, float[] Y) Generate(int count = 100, ulong seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var random = new SeededRandom(seed);
        var x = new float[count];
        var y = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = random.NextSingle();
            y[i] = Slope * x[i] + Intercept + random.NextSingle();
        }
        return (x, y);
    }

    /// <summary>The closed-form least-squares line through (x, y), in double precision.</summary>
    public static (double Slope, double Intercept) LeastSquares(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length || x.Length < 2)
        {
            throw new ArgumentException($"x and y need the same length of at least 2 (got {x.Length} and {y.Length}).", nameof(y));
        }
        double meanX = 0, meanY = 0;
        for (int i = 0; i < x.Length; i++)
        {
            meanX += x[i];
            meanY += y[i];
        }
        meanX /= x.Length;
        meanY /= x.Length;
        double covariance = 0, variance = 0;
        for (int i = 0; i < x.Length; i++)
        {
            covariance += (x[i] - meanX) * (y[i] - meanY);
            variance += (x[i] - meanX) * (x[i] - meanX);
        }
        if (variance == 0)
        {
            throw new ArgumentException("x is constant, so no line fits it uniquely.", nameof(x));
        }
        double slope = covariance / variance;
        return (slope, meanY - slope * meanX);
    }
}
