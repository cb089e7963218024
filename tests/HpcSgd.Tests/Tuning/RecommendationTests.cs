using HpcSgd.Tuning;

namespace HpcSgd.Tests.Tuning;

/// <summary>The recommendation logic on synthetic grids whose optimum is known by construction.</summary>
public class RecommendationTests
{
    /// <summary>
    /// Loss(lr, B) = 1 + (log lr - log lr*(B))^2 with lr*(B) = 0.01 B^k; rates above 4 lr*(B) diverge and those
    /// between 2 lr* and 4 lr* oscillate.
    /// </summary>
    private static (TrialResult[] Trials, SweepOptions Options) Synthetic(double exponent, float[] rates, int[] batches)
    {
        var options = new SweepOptions { LearningRates = rates, BatchSizes = batches, Budget = TrainingBudget.Samples(1000), Rungs = 1 };
        var trials = new List<TrialResult>();
        foreach (float lr in rates)
        {
            foreach (int b in batches)
            {
                double best = 0.01 * Math.Pow(b, exponent);
                double distance = Math.Log(lr / best);
                bool diverged = lr > 4 * best;
                TrialLabel label = diverged ? TrialLabel.Diverged : lr > 2 * best ? TrialLabel.Oscillating : TrialLabel.Converged;
                // Loss also a little lower at larger batches, so the best pair is unique.
                float loss = diverged ? float.NaN : (float)(1 + distance * distance - 0.05 * Math.Log(b));
                trials.Add(new TrialResult(trials.Count, lr, b, 1, diverged ? TrialStatus.Diverged : TrialStatus.Completed, label,
                    diverged ? -1 : 0, loss, loss, null, 1000 / b, 1000, 0.1, []));
            }
        }
        return ([.. trials], options);
    }

    [Fact]
    public void With_a_final_round_the_pair_with_the_best_mean_over_its_seeds_wins_and_a_diverged_seed_ranks_a_pair_last()
    {
        float[] rates = SweepOptions.LogSpaced(1e-3f, 1f, 7);
        (TrialResult[] trials, SweepOptions options) = Synthetic(0.5, rates, [4, 16, 64]);
        options = options with { Finalists = 3, FinalistSeeds = 2 };
        TrialResult[] finalists = [.. trials.Where(t => t.Status == TrialStatus.Completed).OrderBy(t => t.FinalValidationLoss).ThenBy(t => t.Index).Take(3)];
        // Replicas: the single-seed winner was lucky (its other seeds are far worse), the second is steady, the third has a seed that diverged.
        TrialResult Replica(int f, int s, float loss) => finalists[f] with
        {
            Index = trials.Length + f * 2 + s, Seed = (ulong)(100 + f * 2 + s), FinalValidationLoss = loss, BestValidationLoss = loss,
            Status = float.IsNaN(loss) ? TrialStatus.Diverged : TrialStatus.Completed,
        };
        float first = finalists[0].FinalValidationLoss, second = finalists[1].FinalValidationLoss;
        TrialResult[] replicas =
        [
            Replica(0, 0, first + 1f), Replica(0, 1, first + 1f),
            Replica(1, 0, second + 0.01f), Replica(1, 1, second),
            Replica(2, 0, float.NaN), Replica(2, 1, 0.5f),
        ];
        Recommendation single = Recommendation.From(trials, options);
        Recommendation r = Recommendation.From(trials, options, finalTrials: replicas);

        Assert.Equal((finalists[0].LearningRate, finalists[0].BatchSize), (single.BestLearningRate, single.BestBatchSize));
        Assert.Equal((finalists[1].LearningRate, finalists[1].BatchSize), (r.BestLearningRate, r.BestBatchSize));
        Assert.Equal((second * 3 + 0.01) / 3, r.BestValidationLoss, 5);
        Assert.Equal([finalists[1].LearningRate, finalists[0].LearningRate, finalists[2].LearningRate], r.Finalists.Select(f => f.LearningRate));
        Assert.Equal(3, r.Finalists[0].Seeds);
        Assert.Equal((second, second + 0.01f), (r.Finalists[0].LowestValidationLoss, r.Finalists[0].HighestValidationLoss));
        Assert.True(double.IsPositiveInfinity(r.Finalists[2].MeanValidationLoss));
        Assert.Contains("on average over 3 seeds", r.Summary);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public void Fitted_exponent_recovers_the_scaling_rule_and_names_the_closer_one(double exponent)
    {
        float[] rates = SweepOptions.LogSpaced(1e-3f, 100f, 41); // a factor ~1.33 apart
        (TrialResult[] trials, SweepOptions options) = Synthetic(exponent, rates, [1, 4, 16, 64, 256]);
        Recommendation r = Recommendation.From(trials, options);
        Assert.NotNull(r.ScalingExponent);
        Assert.InRange(r.ScalingExponent!.Value, exponent - 0.08, exponent + 0.08);
        Assert.Equal(256, r.BestBatchSize);
        Assert.InRange(r.BestLearningRate, 0.01 * Math.Pow(256, exponent) / 1.2, 0.01 * Math.Pow(256, exponent) * 1.2);
        string expected = exponent switch
        {
            1.0 => "linear-scaling rule",
            0.5 => "square-root rule",
            _ => "neither rule",
        };
        Assert.Contains(expected, r.Summary);
        foreach (BatchSizeSummary b in r.BatchSizes)
        {
            double best = 0.01 * Math.Pow(b.BatchSize, exponent);
            Assert.True(b.StableTo <= 2 * best && b.StableTo > best, $"B {b.BatchSize}: stable to {b.StableTo}, best {best}");
            Assert.True(b.DivergedFrom > 4 * best && b.DivergedFrom < 4 * best * 1.4, $"B {b.BatchSize}: diverged from {b.DivergedFrom}");
        }
    }

    [Fact]
    public void A_best_rate_at_the_edge_of_the_grid_is_flagged()
    {
        (TrialResult[] trials, SweepOptions options) = Synthetic(1.0, [0.0001f, 0.0003f, 0.001f], [1, 4]);
        Recommendation r = Recommendation.From(trials, options);
        Assert.All(r.BatchSizes, b => Assert.True(b.BestAtGridEdge));
        Assert.Contains("edge of the learning-rate grid", r.Summary);
    }

    [Fact]
    public void All_diverged_says_so_and_recommends_nothing()
    {
        (TrialResult[] trials, SweepOptions options) = Synthetic(0.0, [10f, 100f], [1, 4]);
        Recommendation r = Recommendation.From(trials, options);
        Assert.True(float.IsNaN(r.BestLearningRate));
        Assert.Equal(0, r.BestBatchSize);
        Assert.Contains("Every trial diverged", r.Summary);
        Assert.Null(r.ScalingExponent);
    }

    [Fact]
    public void A_trial_that_survived_more_rungs_outranks_a_lower_loss_measured_earlier()
    {
        var options = new SweepOptions { LearningRates = [0.1f, 0.2f], BatchSizes = [8], Budget = TrainingBudget.Samples(1000), Rungs = 2 };
        TrialResult[] trials =
        [
            new(0, 0.1f, 8, 1, TrialStatus.Stopped, TrialLabel.StillImproving, 0, 0.5f, 0.5f, null, 10, 80, 0, []),
            new(1, 0.2f, 8, 1, TrialStatus.Completed, TrialLabel.Converged, 1, 0.7f, 0.7f, null, 125, 1000, 0, []),
        ];
        Assert.Equal(0.2f, Recommendation.From(trials, options).BestLearningRate);
    }

    [Fact]
    public void Trials_that_end_no_better_than_they_started_or_at_chance_are_collapsed_not_stable()
    {
        // Issue #15 item 2: batch 1, lr 0.1 ended at 17.5% accuracy and lr 0.3 at chance, and both were called stable.
        var options = new SweepOptions { LearningRates = [0.001f, 0.01f, 0.1f, 0.3f], BatchSizes = [1], Budget = TrainingBudget.Samples(1000), Rungs = 1 };
        TrialResult Trial(int index, float lr, float loss, double accuracy) =>
            new(index, lr, 1, 1, TrialStatus.Completed, TrialLabel.Converged, 0, loss, loss, accuracy, 1000, 1000, 0.1, []);
        TrialResult[] trials =
        [
            Trial(0, 0.001f, 0.9f, 0.70),
            Trial(1, 0.01f, 0.6f, 0.80),
            Trial(2, 0.1f, 2.4f, 0.175), // worse than the start (2.3)
            Trial(3, 0.3f, 2.2f, 0.10), // below the start, but at chance
        ];
        Recommendation r = Recommendation.From(trials, options, initialValidationLoss: 2.3f, chanceAccuracy: 0.10);
        BatchSizeSummary b = Assert.Single(r.BatchSizes);
        Assert.Equal((0.001f, 0.01f, 0.1f), (b.StableFrom, b.StableTo, b.CollapsedFrom));
        Assert.Contains("Batch 1: stable from 0.001 to 0.01, collapses from 0.1 (ends no better than it started, or at chance), none diverged.", r.Summary);
        Assert.Equal(0.01f, r.BestLearningRate);

        // Without the start and chance (older callers), the labels alone decide, as before.
        Assert.Equal(0.3f, Assert.Single(Recommendation.From(trials, options).BatchSizes).StableTo);
    }

    [Fact]
    public void Chance_is_the_share_of_the_most_common_class()
    {
        Assert.Equal(0.5, LearningRateSweep.ChanceAccuracy(new HpcSgd.Data.Dataset<HpcSgd.Tests.Models.SoftmaxModel>(new float[4 * 23], new[] { 0, 0, 1, 2 })));
        Assert.Equal(0.75, LearningRateSweep.ChanceAccuracy(new HpcSgd.Data.Dataset<HpcSgd.Tests.Models.LogisticModel>(new float[4 * 19], [1f, 1f, 1f, 0f])));
        Assert.Null(LearningRateSweep.ChanceAccuracy(new HpcSgd.Data.Dataset<HpcSgd.Tests.Models.SeedRegression>(new float[2], [1f, 2f])));
    }
}
