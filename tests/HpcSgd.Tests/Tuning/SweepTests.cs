using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Tuning;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Tuning;

public class SweepTests(ITestOutputHelper output)
{
    private static (Dataset<SeedRegression> Train, Dataset<SeedRegression> Validation) Classic()
    {
        (float[] x, float[] y) = ClassicExample.Generate(count: 100, seed: 1);
        (float[] vx, float[] vy) = ClassicExample.Generate(count: 1000, seed: 2);
        return (new Dataset<SeedRegression>(x, y), new Dataset<SeedRegression>(vx, vy));
    }

    private static SweepOptions ClassicGrid(int rungs, int threads) => new()
    {
        LearningRates = SweepOptions.LogSpaced(0.001f, 3f, 8),
        BatchSizes = [1, 10, 64],
        Budget = TrainingBudget.Samples(10_000),
        Rungs = rungs,
        Threads = threads,
        Evaluations = 10,
    };

    [Fact]
    public void Classic_example_sweep_labels_cells_and_finds_a_better_pair_than_the_article()
    {
        (var train, var validation) = Classic();
        var initial = new Model<SeedRegression>(seed: 3);
        SweepResult result = LearningRateSweep.Run(initial.Parameters, train, validation, ClassicGrid(rungs: 1, threads: 2));
        foreach (TrialResult t in result.Trials)
        {
            output.WriteLine($"lr {t.LearningRate,8:G3} B {t.BatchSize,3}: {t.Status,-9} {t.Label,-14} final {t.FinalValidationLoss:G4} steps {t.Steps}");
        }
        output.WriteLine(result.Recommendation.Summary);
        Assert.All(result.Trials, t => Assert.NotEqual(TrialStatus.Stopped, t.Status));
        Assert.Contains(result.Trials, t => t.Status == TrialStatus.Diverged && t.Label == TrialLabel.Diverged && float.IsNaN(t.FinalValidationLoss));
        Assert.Contains(result.Trials, t => t.Label == TrialLabel.StillImproving);
        Assert.Contains(result.Trials, t => t.Label == TrialLabel.Converged);
    }

    [Fact]
    public void With_roll_backs_a_diverging_trial_goes_on_at_half_its_rate_and_still_counts_as_diverged()
    {
        (var train, var validation) = Classic();
        var initial = new Model<SeedRegression>(seed: 3);
        SweepOptions grid = ClassicGrid(rungs: 1, threads: 2);
        SweepResult plain = LearningRateSweep.Run(initial.Parameters, train, validation, grid);
        SweepResult rolled = LearningRateSweep.Run(initial.Parameters, train, validation, grid with { RollBacks = 6 });

        TrialResult[] divergedBefore = [.. plain.Trials.Where(t => t.Status == TrialStatus.Diverged)];
        Assert.NotEmpty(divergedBefore);
        foreach (TrialResult before in divergedBefore)
        {
            TrialResult after = rolled.Trials[before.Index];
            output.WriteLine($"lr {after.LearningRate:G3} B {after.BatchSize}: {after.Status}, {after.RollBacks?.Count ?? 0} roll-backs, final {after.FinalValidationLoss:G4}");
            Assert.True(after.RolledBack, $"lr {after.LearningRate}, batch {after.BatchSize} diverged without roll-backs but did not roll back");
            for (int k = 0; k < after.RollBacks!.Count; k++)
            {
                Assert.Equal(after.LearningRate * MathF.Pow(0.5f, k + 1), after.RollBacks[k].LearningRate);
                Assert.True(after.RollBacks[k].RestoredStep < after.RollBacks[k].Step);
            }
            if (after.Status == TrialStatus.Completed)
            {
                Assert.True(float.IsFinite(after.FinalValidationLoss));
                Assert.True(after.Steps > before.Steps, $"{after.Steps} steps, diverged at {before.Steps}"); // ran on past where it diverged
            }
        }
        // Trials that never diverged are untouched, bit for bit.
        foreach (TrialResult before in plain.Trials.Where(t => t.Status != TrialStatus.Diverged))
        {
            Assert.Equal(before.FinalValidationLoss, rolled.Trials[before.Index].FinalValidationLoss);
            Assert.False(rolled.Trials[before.Index].RolledBack);
        }
        // The recommendation does not pick a rate that diverged, and each batch size's diverging rate is unchanged.
        Assert.False(rolled.Trials.Single(t => t.LearningRate == rolled.Recommendation.BestLearningRate && t.BatchSize == rolled.Recommendation.BestBatchSize).RolledBack);
        Assert.Equal(plain.Recommendation.BatchSizes.Select(b => b.DivergedFrom), rolled.Recommendation.BatchSizes.Select(b => b.DivergedFrom));
        Assert.Equal((plain.Recommendation.BestLearningRate, plain.Recommendation.BestBatchSize), (rolled.Recommendation.BestLearningRate, rolled.Recommendation.BestBatchSize));
    }

    [Fact]
    public void Article_choice_has_not_converged_and_the_recommendation_beats_it()
    {
        (var train, var validation) = Classic();
        var initial = new Model<SeedRegression>(seed: 3);
        SweepResult result = LearningRateSweep.Run(initial.Parameters, train, validation, new SweepOptions
        {
            LearningRates = SweepOptions.LogSpaced(0.001f, 1f, 7), // contains 0.01
            BatchSizes = [10, 64],
            Budget = TrainingBudget.Samples(10_000), // the article: 1,000 iterations of batch 10
            Rungs = 1,
        });
        TrialResult article = result.Trials.Single(t => MathF.Abs(t.LearningRate - 0.01f) < 1e-6f && t.BatchSize == 10);
        Assert.Equal(1000, article.Steps);
        Assert.Equal(TrialLabel.StillImproving, article.Label);
        Assert.True(result.Recommendation.BestValidationLoss < article.FinalValidationLoss);

        // The optimum is known: least squares on the training data. The recommended trial gets within 3% of its loss.
        (double slope, double intercept) = ClassicExample.LeastSquares(train.Features, train.Targets);
        double optimum = 0;
        for (int i = 0; i < validation.Count; i++)
        {
            double r = slope * validation.Features[i] + intercept - validation.Targets[i];
            optimum += r * r / validation.Count;
        }
        Assert.InRange(result.Recommendation.BestValidationLoss, optimum * 0.97, optimum * 1.03);
    }

    [Fact]
    public void Results_do_not_depend_on_the_number_of_threads()
    {
        (var train, var validation) = Classic();
        float[] initial = new Model<SeedRegression>(seed: 3).Parameters.ToArray();
        SweepResult one = LearningRateSweep.Run(initial, train, validation, ClassicGrid(rungs: 3, threads: 1));
        SweepResult three = LearningRateSweep.Run(initial, train, validation, ClassicGrid(rungs: 3, threads: 3));
        Assert.Equal(one.Trials.Count, three.Trials.Count);
        for (int i = 0; i < one.Trials.Count; i++)
        {
            TrialResult a = one.Trials[i], b = three.Trials[i];
            Assert.Equal((a.Status, a.Label, a.Steps, a.RungReached), (b.Status, b.Label, b.Steps, b.RungReached));
            Assert.Equal(a.Curve.Select(p => p.ValidationLoss), b.Curve.Select(p => p.ValidationLoss)); // bit for bit
        }
        Assert.Equal(one.Recommendation.Summary, three.Recommendation.Summary);
    }

    [Fact]
    public void Successive_halving_keeps_the_best_third_at_each_rung_and_stops_the_rest()
    {
        (var train, var validation) = Classic();
        float[] initial = new Model<SeedRegression>(seed: 3).Parameters.ToArray();
        SweepResult result = LearningRateSweep.Run(initial, train, validation, ClassicGrid(rungs: 3, threads: 2));
        int alive0 = result.Trials.Count(t => t.RungReached >= 0);
        int alive1 = result.Trials.Count(t => t.RungReached >= 1);
        int alive2 = result.Trials.Count(t => t.RungReached >= 2);
        Assert.Equal((alive0 + 2) / 3, alive1);
        Assert.Equal((alive1 + 2) / 3, alive2);
        Assert.Equal(alive2, result.Trials.Count(t => t.Status == TrialStatus.Completed));
        Assert.All(result.Trials.Where(t => t.Status == TrialStatus.Stopped), t => Assert.True(t.SamplesSeen < 10_000));
        // A stopped trial had a higher loss at its last rung than every trial that went on.
        foreach (TrialResult stopped in result.Trials.Where(t => t.Status == TrialStatus.Stopped))
        {
            foreach (TrialResult kept in result.Trials.Where(t => t.RungReached > stopped.RungReached))
            {
                double rung = Math.Pow(3, stopped.RungReached - 2); // the budget fraction of the stopped trial's last rung
                int rungStep = (int)Math.Ceiling(rung * ((10_000 + kept.BatchSize - 1) / kept.BatchSize) - 1e-9);
                float keptAtRung = kept.Curve.First(p => p.Step >= rungStep).ValidationLoss;
                Assert.True(keptAtRung <= stopped.FinalValidationLoss, $"{kept.LearningRate}/{kept.BatchSize} vs {stopped.LearningRate}/{stopped.BatchSize}");
            }
        }
        // Halving trains far fewer samples than the full grid.
        Assert.True(result.Trials.Sum(t => t.SamplesSeen) < 0.5 * result.Trials.Count * 10_000);
    }

    [Fact]
    public void The_best_trials_are_trained_again_from_more_seeds_for_the_whole_budget()
    {
        (var train, var validation) = Classic();
        float[] initial = new Model<SeedRegression>(seed: 3).Parameters.ToArray();
        SweepOptions grid = ClassicGrid(rungs: 1, threads: 2) with { Finalists = 4, FinalistSeeds = 2 };
        SweepResult r = LearningRateSweep.Run(initial, train, validation, grid);

        // The finalists, found here from the trials alone: those that finished the last rung, by final loss.
        TrialResult[] finalists = [.. r.Trials.Where(t => t.Status == TrialStatus.Completed && t.RungReached == grid.Rungs - 1 && !t.RolledBack)
            .OrderBy(t => t.FinalValidationLoss).ThenBy(t => t.Index).Take(4)];
        Assert.Equal(4, finalists.Length);
        Assert.Equal(8, r.FinalTrials.Count);
        for (int i = 0; i < r.FinalTrials.Count; i++)
        {
            TrialResult replica = r.FinalTrials[i], of = finalists[i / 2];
            Assert.Equal(r.Trials.Count + i, replica.Index);
            Assert.Equal((of.LearningRate, of.BatchSize, TrialStatus.Completed, of.Steps, of.SamplesSeen),
                (replica.LearningRate, replica.BatchSize, replica.Status, replica.Steps, replica.SamplesSeen));
        }
        Assert.Equal(r.Trials.Count + r.FinalTrials.Count, r.Trials.Concat(r.FinalTrials).Select(t => t.Seed).Distinct().Count());
        Assert.Contains(r.FinalTrials, replica => replica.FinalValidationLoss != finalists[(replica.Index - r.Trials.Count) / 2].FinalValidationLoss);

        (TrialResult Trial, double Mean) chosen = finalists
            .Select((t, f) => (t, ((double)t.FinalValidationLoss + r.FinalTrials[2 * f].FinalValidationLoss + r.FinalTrials[2 * f + 1].FinalValidationLoss) / 3))
            .OrderBy(p => p.Item2).First();
        Assert.Equal((chosen.Trial.LearningRate, chosen.Trial.BatchSize), (r.Recommendation.BestLearningRate, r.Recommendation.BestBatchSize));
        Assert.Equal(chosen.Mean, r.Recommendation.BestValidationLoss, 5);

        // Repeatable, and without a final round the single best trial is recommended as before.
        SweepJournalTests.AssertSameTrials(r, LearningRateSweep.Run(initial, train, validation, grid));
        SweepResult plain = LearningRateSweep.Run(initial, train, validation, grid with { Finalists = 0 });
        Assert.Empty(plain.FinalTrials);
        Assert.Equal((finalists[0].LearningRate, finalists[0].BatchSize), (plain.Recommendation.BestLearningRate, plain.Recommendation.BestBatchSize));
    }

    [Fact]
    public void The_rates_half_a_grid_step_around_the_best_finalist_are_tried_and_the_best_mean_of_all_wins()
    {
        (var train, var validation) = Classic();
        float[] initial = new Model<SeedRegression>(seed: 3).Parameters.ToArray();
        SweepOptions grid = ClassicGrid(rungs: 1, threads: 2) with { Finalists = 3, FinalistSeeds = 2, RefineRate = true };
        SweepResult r = LearningRateSweep.Run(initial, train, validation, grid);

        int n = r.Trials.Count;
        TrialResult[] finalists = [.. r.Trials.Where(t => t.Status == TrialStatus.Completed && !t.RolledBack)
            .OrderBy(t => t.FinalValidationLoss).ThenBy(t => t.Index).Take(3)];
        double Mean(IEnumerable<TrialResult> seeds) => seeds.Average(t => (double)t.FinalValidationLoss);
        var means = finalists.Select((t, f) => (t.LearningRate, t.BatchSize, Mean([t, .. r.FinalTrials.Where(x => x.Index == n + 2 * f || x.Index == n + 2 * f + 1)]))).ToList();
        var winner = means.OrderBy(m => m.Item3).First();
        // The grid's rates are log-spaced: the midpoints either side are the winner's rate times and over the square root of the step.
        float[] rates = [.. grid.LearningRates.Order()];
        double step = Math.Sqrt(rates[1] / (double)rates[0]);
        TrialResult[] refined = [.. r.FinalTrials.Where(t => t.Index >= n + 6)];
        Assert.Equal(6, refined.Length);
        Assert.All(refined, t => Assert.Equal((winner.BatchSize, TrialStatus.Completed), (t.BatchSize, t.Status)));
        float[] tried = [.. refined.Select(t => t.LearningRate).Distinct().Order()];
        Assert.Equal(2, tried.Length);
        Assert.Equal(winner.LearningRate / step, tried[0], winner.LearningRate * 1e-4);
        Assert.Equal(winner.LearningRate * step, tried[1], winner.LearningRate * 1e-4);
        foreach (float rate in tried)
        {
            means.Add((rate, winner.BatchSize, Mean(refined.Where(t => t.LearningRate == rate))));
        }
        var best = means.OrderBy(m => m.Item3).First();
        Assert.Equal((best.LearningRate, best.BatchSize), (r.Recommendation.BestLearningRate, r.Recommendation.BestBatchSize));
        Assert.Equal(5, r.Recommendation.Finalists.Count);
        Assert.Contains("half a grid step", r.Recommendation.Summary);
        SweepJournalTests.AssertSameTrials(r, LearningRateSweep.Run(initial, train, validation, grid));
    }

    [Theory]
    [InlineData(-1, 2, "Finalists")]
    [InlineData(3, 0, "FinalistSeeds")]
    public void A_bad_final_round_is_refused_by_name(int finalists, int seeds, string option)
    {
        (var train, _) = Classic();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (ClassicGrid(rungs: 1, threads: 1) with { Finalists = finalists, FinalistSeeds = seeds }).Validate(train.Count));
        Assert.Equal(option, e.ParamName);
    }

    [Fact]
    public void Steps_of_a_sweep_allocate_nothing_only_the_set_up_does()
    {
        (var train, var validation) = Classic();
        float[] initial = new Model<SeedRegression>(seed: 3).Parameters.ToArray();
        SweepOptions Grid(long samples) => ClassicGrid(rungs: 1, threads: 1) with { Budget = TrainingBudget.Samples(samples), LearningRates = [0.01f, 0.03f] };
        LearningRateSweep.Run(initial, train, validation, Grid(2_000)); // warm-up: JIT
        // The set-up allocates, so a background collection landing in the sweep can charge its unused allocation context
        // (ThreadAllocations); that only ever adds bytes, so the least of three runs is the sweep's own.
        long Allocated(long samples) =>
            Enumerable.Range(0, 3).Min(_ => ThreadAllocations.During(() => LearningRateSweep.Run(initial, train, validation, Grid(samples))));
        long small = Allocated(2_000), large = Allocated(200_000); // 100x the steps (up to 200,000 per trial)
        Assert.True(large - small < 4_096, $"{small} B for 2,000 samples per trial, {large} B for 200,000");
    }

    [Fact]
    public void Bad_sweep_options_name_the_option()
    {
        (var train, var validation) = Classic();
        float[] initial = new Model<SeedRegression>(seed: 3).Parameters.ToArray();
        void Check(SweepOptions options, string expected) =>
            Assert.Contains(expected, Assert.ThrowsAny<ArgumentException>(() => LearningRateSweep.Run(initial, train, validation, options)).Message);
        SweepOptions good = ClassicGrid(rungs: 1, threads: 1);
        Check(good with { LearningRates = [] }, "LearningRates is empty");
        Check(good with { LearningRates = [0.1f, -1f] }, "LearningRates[1] is -1");
        Check(good with { BatchSizes = [10, 101] }, "BatchSizes[1] is 101");
        Check(good with { Budget = default }, "Budget is not set");
        Check(good with { Budget = TrainingBudget.Samples(100) }, "fewer than the 10 evaluations");
        Check(good with { Threads = 0 }, "Threads is 0");
    }

    [Fact]
    public void Wall_time_budget_stops_each_trial_by_the_clock()
    {
        (var train, var validation) = Classic();
        float[] initial = new Model<SeedRegression>(seed: 3).Parameters.ToArray();
        SweepResult result = LearningRateSweep.Run(initial, train, validation, ClassicGrid(rungs: 1, threads: 2) with
        {
            Budget = TrainingBudget.WallTime(TimeSpan.FromMilliseconds(50)),
            LearningRates = [0.01f, 0.1f],
        });
        Assert.All(result.Trials, t =>
        {
            Assert.Equal(TrialStatus.Completed, t.Status);
            Assert.Equal(11, t.Curve.Count);
            Assert.InRange(t.WallSeconds, 0.045, 5);
        });
    }

    [Fact]
    public void Cancellation_stops_running_trials_mid_budget()
    {
        (var train, var validation) = Classic();
        float[] initial = new Model<SeedRegression>(seed: 3).Parameters.ToArray();
        using var cancel = new CancellationTokenSource();
        var monitor = new SweepMonitor();
        // 24 trials x 10^9 samples would train for hours: the sweep can only end here by honouring the token.
        Task run = Task.Run(() => LearningRateSweep.Run(initial, train, validation,
            ClassicGrid(rungs: 1, threads: 2) with { Budget = TrainingBudget.Samples(1_000_000_000) }, monitor, cancel.Token));
        Assert.True(SpinWait.SpinUntil(() => monitor.Snapshot().Running > 0, TimeSpan.FromMinutes(1)), "no trial started");
        cancel.Cancel();
        // The wait's limit only guards against a hang; a sweep that ignored the token would return false, not throw.
        var error = Assert.ThrowsAny<AggregateException>(() => run.Wait(TimeSpan.FromMinutes(2)));
        Assert.IsAssignableFrom<OperationCanceledException>(error.InnerException);
        Assert.Equal(0, monitor.Snapshot().Running);
        Assert.Equal(0, monitor.Snapshot().Done); // stopped mid-budget: no trial finished
    }
}
