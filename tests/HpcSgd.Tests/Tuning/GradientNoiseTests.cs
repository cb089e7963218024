using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;
using HpcSgd.Tuning;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Tuning;

public class GradientNoiseTests(ITestOutputHelper output)
{
    private const int Samples = 20_000;

    /// <summary>y = w.x + 0.5 + N(0, 0.5^2) noise, x ~ N(0, 1)^4.</summary>
    internal static Dataset<NoiseRegression> LinearData()
    {
        var random = new Random(7);
        var x = new float[Samples * 4];
        var y = new float[Samples];
        float[] w = [1.5f, -2f, 0.5f, 3f];
        for (int i = 0; i < Samples; i++)
        {
            double sum = 0.5;
            for (int j = 0; j < 4; j++)
            {
                x[i * 4 + j] = (float)Normal(random);
                sum += w[j] * x[i * 4 + j];
            }
            y[i] = (float)(sum + 0.5 * Normal(random));
        }
        return new Dataset<NoiseRegression>(x, y);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Exact |G|^2 and tr(Sigma) from closed-form per-sample gradients of (w.x + b - y)^2: 2 r [x, 1].</summary>
    internal static (double GradientSquaredNorm, double TraceSigma) Exact(ReadOnlySpan<float> parameters, Dataset<NoiseRegression> data)
    {
        LayerDescription layer = NoiseRegression.Description.Layers[0];
        var mean = new double[5];
        double meanSquaredNorm = 0;
        for (int i = 0; i < data.Count; i++)
        {
            ReadOnlySpan<float> x = data.FeaturesOf(i);
            double r = parameters[layer.BiasOffset] - data.TargetOf(i)[0];
            for (int j = 0; j < 4; j++)
            {
                r += parameters[layer.WeightIndex(0, j)] * x[j];
            }
            double norm = 4 * r * r;
            mean[4] += 2 * r / data.Count;
            for (int j = 0; j < 4; j++)
            {
                mean[j] += 2 * r * x[j] / data.Count;
                norm += 4 * r * r * x[j] * x[j];
            }
            meanSquaredNorm += norm / data.Count;
        }
        double g2 = mean.Sum(v => v * v);
        return (g2, meanSquaredNorm - g2);
    }

    [Fact]
    public void Noise_scale_estimate_is_within_20_percent_of_the_exact_value_on_linear_regression()
    {
        Dataset<NoiseRegression> data = LinearData();
        // At the initial parameters and part-way to the optimum: the noise scale grows as the gradient shrinks.
        var model = new Model<NoiseRegression>(seed: 1);
        float[][] points =
        [
            model.Parameters.ToArray(),
            TrainedFor(model.Parameters, data, steps: 40),
        ];
        foreach (float[] parameters in points)
        {
            (double g2, double trace) = Exact(parameters, data);
            NoiseScaleEstimate estimate = GradientNoise.EstimateNoiseScale(parameters, data, smallBatch: 8, bigBatch: 64, draws: 4000, seed: 3);
            output.WriteLine($"exact |G|^2 {g2:G4} tr {trace:G4} B_simple {trace / g2:G4}; estimate |G|^2 {estimate.GradientSquaredNorm:G4} tr {estimate.TraceSigma:G4} B_simple {estimate.NoiseScale:G4}");
            Assert.True(estimate.IsResolved);
            Assert.InRange(estimate.NoiseScale, 0.8 * trace / g2, 1.2 * trace / g2);
            Assert.InRange(estimate.TraceSigma, 0.8 * trace, 1.2 * trace);

            // The direct measurement around the full gradient agrees too, and |G|^2 there is exact up to rounding.
            GradientVarianceStudy study = GradientNoise.MeasureVariance(parameters, data, [4, 16, 64, 256], draws: 400, seed: 5);
            Assert.Equal(g2, study.FullGradientSquaredNorm, g2 * 1e-3);
            Assert.InRange(study.TraceSigma, 0.9 * trace, 1.1 * trace);
        }
    }

    [Fact]
    public void Noise_scale_with_the_default_draws_states_an_interval_that_covers_the_exact_value_within_ten_percent()
    {
        // Issue #15 item 4: 200 draws gave errors up to 17%; draws now grow until the 95% interval is +-10%.
        Dataset<NoiseRegression> data = LinearData();
        var model = new Model<NoiseRegression>(seed: 1);
        foreach (float[] parameters in new[] { model.Parameters.ToArray(), TrainedFor(model.Parameters, data, steps: 40) })
        {
            (double g2, double trace) = Exact(parameters, data);
            double exact = trace / g2;
            int covered = 0;
            for (ulong seed = 1; seed <= 10; seed++)
            {
                NoiseScaleEstimate e = GradientNoise.EstimateNoiseScale(parameters, data, smallBatch: 8, bigBatch: 64, draws: 200, seed: seed);
                Assert.True(e.IsResolved);
                Assert.True(e.NoiseScaleHalfWidth <= GradientNoise.TargetPrecision * e.NoiseScale || e.Draws == GradientNoise.MaxDrawFactor * 200,
                    $"half-width {e.NoiseScaleHalfWidth:G3} of {e.NoiseScale:G3} after {e.Draws} draws");
                Assert.InRange(e.NoiseScale, 0.8 * exact, 1.2 * exact);
                covered += e.NoiseScaleLow <= exact && exact <= e.NoiseScaleHigh ? 1 : 0;
                output.WriteLine($"exact {exact:G4}; seed {seed}: {e.NoiseScale:G4} [{e.NoiseScaleLow:G4}, {e.NoiseScaleHigh:G4}] after {e.Draws} draws");
            }
            Assert.True(covered >= 8, $"the 95% interval covered the exact value in {covered} of 10 seeds");
        }
    }

    [Fact]
    public void Per_example_norms_give_the_noise_scale_from_one_batch_size_with_an_interval_that_covers_it()
    {
        // Issue #15: the kernels' per-example gradient norms replace the small batches of the two-batch estimator.
        Dataset<NoiseRegression> data = LinearData();
        var model = new Model<NoiseRegression>(seed: 1);
        foreach (float[] parameters in new[] { model.Parameters.ToArray(), TrainedFor(model.Parameters, data, steps: 40) })
        {
            (double g2, double trace) = Exact(parameters, data);
            double exact = trace / g2;
            int covered = 0, perExampleDraws = 0, twoBatchDraws = 0;
            for (ulong seed = 1; seed <= 10; seed++)
            {
                NoiseScaleEstimate e = GradientNoise.EstimateNoiseScaleFromPerExampleNorms(parameters, data, batchSize: 64, draws: 200, seed: seed);
                Assert.True(e.IsResolved);
                Assert.Equal((1, 64), (e.SmallBatch, e.BigBatch));
                Assert.InRange(e.NoiseScale, 0.8 * exact, 1.2 * exact);
                Assert.InRange(e.TraceSigma, 0.8 * trace, 1.2 * trace);
                covered += e.NoiseScaleLow <= exact && exact <= e.NoiseScaleHigh ? 1 : 0;
                perExampleDraws += e.Draws;
                twoBatchDraws += GradientNoise.EstimateNoiseScale(parameters, data, smallBatch: 8, bigBatch: 64, draws: 200, seed: seed).Draws;
                output.WriteLine($"exact {exact:G4}; seed {seed}: {e.NoiseScale:G4} [{e.NoiseScaleLow:G4}, {e.NoiseScaleHigh:G4}] after {e.Draws} draws");
            }
            Assert.True(covered >= 8, $"the 95% interval covered the exact value in {covered} of 10 seeds");
            // To the same target interval it needs no more draws of the big batch than the two-batch estimator (whose
            // draws each also compute a small batch).
            output.WriteLine($"draws to +-10%: per-example {perExampleDraws / 10.0:F0}, two-batch (8 and 64) {twoBatchDraws / 10.0:F0}");
            Assert.True(perExampleDraws <= twoBatchDraws, $"{perExampleDraws} per-example draws against {twoBatchDraws}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void On_a_small_data_set_a_batch_drawn_without_replacement_carries_less_noise_and_the_estimate_accounts_for_it(bool perExample)
    {
        // Issue #15's tables: with 128 of 300 rows per batch the batch gradient's noise is S^2 (1/B - 1/N), not S^2 / B.
        // Left out, |G|^2 came out short by S^2 / N and B_simple several times too large (or unresolved) late in training.
        Dataset<NoiseRegression> all = LinearData();
        var data = new Dataset<NoiseRegression>(all.Features[..(300 * 4)], all.Targets[..300]);
        float[] parameters = TrainedFor(new Model<NoiseRegression>(seed: 1).Parameters, data, steps: 200);
        (double g2, double trace) = Exact(parameters, data);
        double exact = trace / g2;
        output.WriteLine($"exact B_simple {exact:G4} (|G|^2 {g2:G4}, tr {trace:G4})");
        Assert.InRange(exact, 40, 300); // far enough from the optimum to be measurable, near enough for S^2 / N to matter
        int covered = 0;
        for (ulong seed = 1; seed <= 10; seed++)
        {
            NoiseScaleEstimate e = perExample
                ? GradientNoise.EstimateNoiseScaleFromPerExampleNorms(parameters, data, batchSize: 128, draws: 200, seed: seed)
                : GradientNoise.EstimateNoiseScale(parameters, data, smallBatch: 16, bigBatch: 128, draws: 200, seed: seed);
            output.WriteLine($"seed {seed}: {e.NoiseScale:G4} [{e.NoiseScaleLow:G4}, {e.NoiseScaleHigh:G4}] after {e.Draws} draws");
            Assert.True(e.IsResolved);
            Assert.InRange(e.NoiseScale, 0.8 * exact, 1.2 * exact);
            covered += e.NoiseScaleLow <= exact && exact <= e.NoiseScaleHigh ? 1 : 0;
        }
        Assert.True(covered >= 8, $"the 95% interval covered the exact value in {covered} of 10 seeds");
    }

    [Fact]
    public void Mini_batch_gradient_variance_falls_as_one_over_the_batch_size()
    {
        Dataset<NoiseRegression> data = LinearData();
        var model = new Model<NoiseRegression>(seed: 1);
        GradientVarianceStudy study = GradientNoise.MeasureVariance(model.Parameters, data, [1, 4, 16, 64, 256], draws: 400, seed: 9);
        foreach (GradientVariance v in study.Variances)
        {
            output.WriteLine($"B {v.BatchSize}: E|g-G|^2 {v.MeanSquaredDeviation:G4}, B x that {v.BatchSize * v.MeanSquaredDeviation:G4}");
        }
        Assert.InRange(study.Slope, -1.1, -0.9);
        for (int i = 1; i < study.Variances.Count; i++)
        {
            Assert.True(study.Variances[i].MeanSquaredDeviation < study.Variances[i - 1].MeanSquaredDeviation);
        }
    }

    [Fact]
    public void Noise_scale_over_training_starts_before_the_first_step_and_grows_as_the_loss_falls()
    {
        Dataset<NoiseRegression> data = LinearData();
        var model = new Model<NoiseRegression>(seed: 1);
        float[] before = model.Parameters.ToArray();
        IReadOnlyList<NoiseScaleEstimate> estimates = GradientNoise.OverTraining(model.Parameters, data,
            new TrainingOptions { LearningRate = 0.01f, BatchSize = 8, Steps = 300, Seed = 2 }, checkpoints: 4, smallBatch: 8, bigBatch: 64, draws: 500, seed: 4);
        Assert.Equal([0, 100, 200, 300], estimates.Select(e => e.Step));
        // Growing: every later estimate is larger, or so large that |G|^2 is lost in its noise (not resolved).
        Assert.True(estimates[0].IsResolved);
        Assert.All(estimates.Skip(1), e => Assert.True(!e.IsResolved || e.NoiseScale > estimates[0].NoiseScale, $"{estimates[0].NoiseScale} -> {e.NoiseScale}"));
        Assert.True(!estimates[^1].IsResolved || estimates[^1].NoiseScale > 2 * estimates[0].NoiseScale, $"{estimates[0].NoiseScale} -> {estimates[^1].NoiseScale}");
        Assert.Equal(before, model.Parameters.ToArray()); // trains a copy
    }

    [Fact]
    public void At_the_least_squares_optimum_the_gradient_is_lost_in_its_noise_and_the_estimate_says_so()
    {
        (float[] x, float[] y) = ClassicExample.Generate(count: 2000, seed: 4);
        var data = new Dataset<SeedRegression>(x, y);
        (double slope, double intercept) = ClassicExample.LeastSquares(x, y);
        LayerDescription layer = SeedRegression.Description.Layers[0];
        var parameters = new float[SeedRegression.Description.ParameterCount];
        parameters[layer.WeightOffset] = (float)slope;
        parameters[layer.BiasOffset] = (float)intercept;
        NoiseScaleEstimate e = GradientNoise.EstimateNoiseScale(parameters, data, smallBatch: 8, bigBatch: 64, draws: 400, seed: 2);
        output.WriteLine($"|G|^2 {e.GradientSquaredNorm:G3} +- {e.GradientSquaredNormError:G3}, tr {e.TraceSigma:G3}");
        Assert.False(e.IsResolved);
        Assert.True(double.IsNaN(e.NoiseScale)); // never a negative or huge made-up B_simple
        Assert.True(e.TraceSigma > 0);
    }

    [Fact]
    public void Bad_batch_sizes_are_refused_with_the_reason()
    {
        Dataset<NoiseRegression> data = LinearData();
        float[] parameters = new Model<NoiseRegression>(seed: 1).Parameters.ToArray();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GradientNoise.EstimateNoiseScale(parameters, data, 64, 8, 10, 1));
        Assert.Contains("small batch < big batch", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientNoise.MeasureVariance(parameters, data, [8, Samples + 1], 10, 1));
        Assert.Throws<ArgumentException>(() => GradientNoise.MeasureVariance(parameters, data, [8, 8], 10, 1));
    }

    internal static float[] TrainedFor(ReadOnlySpan<float> parameters, Dataset<NoiseRegression> data, int steps)
    {
        var model = new Model<NoiseRegression>(parameters);
        Trainer.Train(model, data, new TrainingOptions { LearningRate = 0.01f, BatchSize = 8, Steps = steps, Seed = 1 });
        return model.Parameters.ToArray();
    }
}
