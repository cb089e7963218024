using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>The classic example reaches the closed-form least-squares line of the same data.</summary>
public class ClassicExampleTests
{
    /// <summary>The bar: within 0.02 of the least-squares slope and intercept.</summary>
    private const double FitTolerance = 0.02;

    public static TheoryData<ulong> Seeds => new() { 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MiniBatchSgd_WithMomentumAndCosineDecay_ReachesLeastSquaresFit(ulong seed)
    {
        (float[] x, float[] y) = ClassicExample.Generate(100, seed);
        var model = new Model<SeedRegression>(seed);

        TrainingResult result = Trainer.Train(model, new Dataset<SeedRegression>(x, y), new TrainingOptions
        {
            LearningRate = 0.1f,
            BatchSize = 10,
            Epochs = 300,
            Momentum = 0.9f,
            Schedule = LearningRateSchedule.Cosine(),
            Seed = seed,
        });

        Assert.Equal(TrainingStatus.Completed, result.Status);
        AssertFitsLeastSquares(model, x, y);
    }

    [Fact]
    public void FullBatchGradientDescent_ReachesLeastSquaresFit()
    {
        (float[] x, float[] y) = ClassicExample.Generate(100, seed: 7);
        var model = new Model<SeedRegression>(seed: 7);

        TrainingResult result = Trainer.Train(model, new Dataset<SeedRegression>(x, y),
            new TrainingOptions { LearningRate = 0.5f, BatchSize = 100, Steps = 3000 });

        Assert.Equal(TrainingStatus.Completed, result.Status);
        AssertFitsLeastSquares(model, x, y);
    }

    [Fact]
    public void LeastSquaresFit_LiesNearSlope3Intercept2Point5()
    {
        (float[] x, float[] y) = ClassicExample.Generate(100_000, seed: 5);
        (double slope, double intercept) = ClassicExample.LeastSquares(x, y);
        Assert.InRange(slope, 2.98, 3.02);
        Assert.InRange(intercept, 2.49, 2.51);
    }

    private static void AssertFitsLeastSquares(Model<SeedRegression> model, float[] x, float[] y)
    {
        (double slope, double intercept) = ClassicExample.LeastSquares(x, y);
        ReadOnlySpan<float> p = model.Parameters;
        LayerDescription layer = SeedRegression.Description.Layers[0];
        Assert.True(Math.Abs(p[layer.WeightOffset] - slope) <= FitTolerance, $"slope {p[layer.WeightOffset]} vs least squares {slope}");
        Assert.True(Math.Abs(p[layer.BiasOffset] - intercept) <= FitTolerance, $"intercept {p[layer.BiasOffset]} vs least squares {intercept}");
    }
}
