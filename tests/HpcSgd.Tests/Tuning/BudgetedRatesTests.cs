using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tuning;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Tuning;

public class BudgetedRatesTests(ITestOutputHelper output)
{
    [Fact]
    public void On_digits_each_batch_size_gets_a_rate_within_3x_of_the_grid_best_for_that_budget()
    {
        TrainValidationSplit split = RangeTestTests.Digits();
        var train = new Dataset<DigitsSoftmax>(split.TrainFeatures, split.TrainTargets);
        var validation = new Dataset<DigitsSoftmax>(split.ValidationFeatures, split.ValidationTargets);
        float[] initial = new Model<DigitsSoftmax>(seed: 1).Parameters.ToArray();
        const int epochs = 20;
        int[] batches = [1, 8, 64];
        float[] rates = SweepOptions.LogSpaced(1e-4f, 10f, 21);
        SweepResult grid = LearningRateSweep.Run(initial, train, validation, new SweepOptions
        {
            LearningRates = rates,
            BatchSizes = batches,
            Budget = TrainingBudget.Samples(epochs * train.Count),
            Rungs = 1,
            Evaluations = 2,
        });

        BudgetedRateResult result = BudgetedRates.Suggest(initial, train, validation, new BudgetedRateOptions { Epochs = epochs, BatchSizes = batches });

        output.WriteLine($"anchor batch {result.AnchorBatchSize}, rate {result.AnchorRate:G3}, B_noise {result.NoiseScale:G4}, max {result.MaximumRate:G3}");
        Assert.Equal(train.Count, result.AnchorBatchSize); // digits fits: the anchor is the whole set
        Assert.True(result.NoiseScale > 1 && double.IsFinite(result.NoiseScale));
        float previous = 0;
        foreach (int batch in batches)
        {
            TrialResult[] trials = [.. grid.Trials.Where(t => t.BatchSize == batch)];
            float best = trials.Where(t => t.Status != TrialStatus.Diverged).Min(t => t.FinalValidationLoss);
            // A flat optimum has no single best rate: every rate within 5% of the best loss counts.
            float[] near = [.. trials.Where(t => t.Status != TrialStatus.Diverged && t.FinalValidationLoss <= best * 1.05f).Select(t => t.LearningRate)];
            BudgetedRate rate = result.Rates.Single(r => r.BatchSize == batch);
            float suggested = rate.LearningRate;
            output.WriteLine($"B {batch}: suggested {suggested:G3} (rule {rate.RuleLearningRate:G3}), near-best {near.Min():G3}..{near.Max():G3}");
            Assert.InRange(suggested, near.Min() / 3, near.Max() * 3);
            Assert.True(rate.RuleLearningRate > previous, "a larger batch carries less noise: the rule's rate is larger");
            previous = rate.RuleLearningRate;

            // The check: the rule's rate and 10^0.5 below and above it, each for the whole budget; another rate replaces the
            // rule's only with a final loss lower by more than 2%.
            SweepResult check = result.Checks.Single(c => c.Options.BatchSizes.Single() == batch);
            Assert.Equal([rate.RuleLearningRate / 3.1622777f, rate.RuleLearningRate, rate.RuleLearningRate * 3.1622777f], check.Options.LearningRates);
            Assert.All(check.Trials, t => Assert.InRange(t.SamplesSeen, epochs * (train.Count - batch), epochs * train.Count)); // the whole budget (less the partial batch an epoch ends with)
            TrialResult lowest = check.Trials.Where(t => t.Status != TrialStatus.Diverged).MinBy(t => t.FinalValidationLoss)!;
            float ruleLoss = check.Trials.Single(t => t.LearningRate == rate.RuleLearningRate).FinalValidationLoss;
            Assert.Equal(lowest.FinalValidationLoss < ruleLoss * 0.98f ? lowest.LearningRate : rate.RuleLearningRate, suggested);
        }
        Assert.Equal(initial, new Model<DigitsSoftmax>(seed: 1).Parameters.ToArray());
    }

    [Fact]
    public void The_rule_is_McCandlish_with_the_finite_population_term()
    {
        Assert.Equal(0.0, BudgetedRates.SamplingNoise(100, 100));
        Assert.Equal(1.0 - 1.0 / 50, BudgetedRates.SamplingNoise(1, 50), 12);
        Assert.Equal(1.0 / 8 - 1.0 / 50, BudgetedRates.SamplingNoise(8, 50), 12);
    }

    [Fact]
    public void Bad_options_are_refused_with_the_setting_named_and_a_factor_of_1_leaves_the_rule_as_is()
    {
        TrainValidationSplit split = RangeTestTests.Digits();
        var train = new Dataset<DigitsSoftmax>(split.TrainFeatures, split.TrainTargets);
        var validation = new Dataset<DigitsSoftmax>(split.ValidationFeatures, split.ValidationTargets);
        float[] initial = new Model<DigitsSoftmax>(seed: 1).Parameters.ToArray();
        Assert.Contains("Epochs", Assert.ThrowsAny<ArgumentException>(() =>
            BudgetedRates.Suggest(initial, train, validation, new BudgetedRateOptions { Epochs = 0 })).Message);
        Assert.Contains("BatchSizes", Assert.ThrowsAny<ArgumentException>(() =>
            BudgetedRates.Suggest(initial, train, validation, new BudgetedRateOptions { BatchSizes = [0] })).Message);
        Assert.Contains("training-set size", Assert.ThrowsAny<ArgumentException>(() =>
            BudgetedRates.Suggest(initial, train, validation, new BudgetedRateOptions { BatchSizes = [train.Count + 1] })).Message);
        Assert.Contains("CheckFactor", Assert.ThrowsAny<ArgumentException>(() =>
            BudgetedRates.Suggest(initial, train, validation, new BudgetedRateOptions { CheckFactor = 0.5f })).Message);
        BudgetedRateResult ruleOnly = BudgetedRates.Suggest(initial, train, validation, new BudgetedRateOptions { Epochs = 1, BatchSizes = [8, 64], CheckFactor = 1 });
        Assert.Empty(ruleOnly.Checks);
        Assert.All(ruleOnly.Rates, r => Assert.Equal(r.RuleLearningRate, r.LearningRate));
        Assert.Contains("AnchorRates", Assert.ThrowsAny<ArgumentException>(() =>
            BudgetedRates.Suggest(initial, train, validation, new BudgetedRateOptions { AnchorRates = [0.1f] })).Message);
    }
}
