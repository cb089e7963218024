using HpcSgd.Tuning;

namespace HpcSgd.Tests.Tuning;

/// <summary>Issue #15 item 5: the report says how the best pair moves as the budget grows, read from the trials' curves.</summary>
public class BudgetPathTests
{
    private static TrialResult Trial(int index, float lr, int batch, float[] losses) =>
        new(index, lr, batch, 1, TrialStatus.Completed, TrialLabel.Converged, 0, losses[^1], losses.Min(), null, 100, 1000, 0.1,
            [.. losses.Select((l, k) => new CurvePoint(k * 10, k * 250L, k, l, l))]);

    private static SweepResult Sweep(params TrialResult[] trials)
    {
        var options = new SweepOptions { LearningRates = [0.01f, 0.1f], BatchSizes = [4, 32], Budget = TrainingBudget.Samples(1000), Rungs = 1, Evaluations = 4 };
        return new SweepResult(trials, Recommendation.From(trials, options), options, 2f, 1);
    }

    [Fact]
    public void A_fast_pair_leads_early_and_a_slow_one_wins_at_the_full_budget()
    {
        // Curves at the start and at 1/4, 1/2, 3/4 and all of the budget.
        SweepResult sweep = Sweep(
            Trial(0, 0.1f, 32, [2f, 0.8f, 0.6f, 0.55f, 0.54f]),
            Trial(1, 0.01f, 4, [2f, 1.2f, 0.7f, 0.5f, 0.4f]));
        IReadOnlyList<BudgetPoint> path = BudgetPath.Of(sweep);
        Assert.Equal([0.25, 0.5, 1.0], path.Select(p => p.Fraction));
        Assert.Equal([(0.1f, 32), (0.1f, 32), (0.01f, 4)], path.Select(p => (p.LearningRate, p.BatchSize)));
        Assert.Equal(0.4f, path[^1].ValidationLoss);
        string text = BudgetPath.Describe(path);
        Assert.StartsWith("How the best pair moves as the budget grows — 1/4 of it: learning rate 0.1, batch 32 (0.8); 1/2 of it: learning rate 0.1, batch 32 (0.6); all of it: learning rate 0.01, batch 4 (0.4).", text);
        Assert.EndsWith("The leader changed as the budget grew (from learning rate 0.1, batch 32 to 0.01, batch 4): the answer depends on the budget, and a larger one may move it again.", text);
    }

    [Fact]
    public void The_same_leader_throughout_says_so_and_trials_stopped_early_leave_the_later_points()
    {
        TrialResult stopped = Trial(1, 0.01f, 4, [2f, 0.1f]) with { Status = TrialStatus.Stopped };
        SweepResult sweep = Sweep(Trial(0, 0.1f, 32, [2f, 0.8f, 0.6f, 0.55f, 0.54f]), stopped);
        IReadOnlyList<BudgetPoint> path = BudgetPath.Of(sweep);
        Assert.Equal([(0.01f, 4), (0.1f, 32), (0.1f, 32)], path.Select(p => (p.LearningRate, p.BatchSize)));
        Assert.EndsWith("it has held since 1/2 of it: the answer depends on the budget, and a larger one may move it again.", BudgetPath.Describe(path));

        SweepResult steady = Sweep(Trial(0, 0.1f, 32, [2f, 0.8f, 0.6f, 0.55f, 0.54f]), Trial(1, 0.01f, 4, [2f, 1.2f, 0.9f, 0.8f, 0.7f]));
        Assert.EndsWith("The same pair leads throughout, so a larger budget is unlikely to change the answer.", BudgetPath.Describe(BudgetPath.Of(steady)));
    }
}
