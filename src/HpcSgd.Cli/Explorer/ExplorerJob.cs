using System.Diagnostics;
using System.Globalization;
using System.Text;
using HpcSgd.Tuning;
using Spectre.Console;

namespace HpcSgd.Cli.Explorer;

/// <summary>What one experiment produced (null for parts not run).</summary>
internal sealed record ExperimentOutcome(Experiment Experiment, ExperimentPlan Plan, SweepResult? Sweep, IReadOnlyList<RangeTestResult>? RangeTests,
    GradientVarianceStudy? Variance, IReadOnlyList<NoiseScaleEstimate>? NoiseScale, (float LearningRate, int BatchSize) NoisePair, double Seconds,
    BudgetedRateResult? BudgetedRates = null);

/// <summary>
/// The explorer: for each experiment, the sweep, the range test and the gradient-noise measurements, written to
/// the output folder as JSON, CSV and PNG plus a markdown report, with the recommendation printed at the end.
/// </summary>
internal static class ExplorerJob
{
    /// <summary>The learning rate and batch size of the article the classic example comes from.</summary>
    public const float ArticleLearningRate = 0.01f;
    public const int ArticleBatchSize = 10;

    public static int Run(ExplorerSettings settings, IReadOnlyList<(Experiment Experiment, ExperimentPlan Defaults)> experiments, IAnsiConsole console,
        CancellationToken cancellationToken = default)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        long start = Stopwatch.GetTimestamp();
        string folder = Path.GetFullPath(settings.OutputFolder);
        Directory.CreateDirectory(folder);
        console.WriteLine($"HpcSgd explorer: learning rate x batch size, {settings.Threads} threads; report folder {folder}");
        if (settings.Parts.HasFlag(ExplorerParts.Sweep))
        {
            SweepJournals.Prepare(folder, experiments.Select(e => e.Experiment.Name), settings);
        }
        var outcomes = new List<ExperimentOutcome>();
        var pending = new List<string>();
        foreach ((Experiment experiment, ExperimentPlan defaults) in experiments)
        {
            ExperimentPlan plan = ExperimentPlan.For(experiment, settings, defaults);
            try
            {
                outcomes.Add(RunExperiment(experiment, plan, settings, Path.Combine(folder, experiment.Name), console, cancellationToken));
            }
            catch (SweepShardPendingException e)
            {
                console.WriteLine($"  {e.Message}");
                pending.Add(experiment.Name);
            }
        }
        if (pending.Count > 0)
        {
            console.WriteLine();
            console.WriteLine($"Shard {settings.Shard} done for now ({string.Join(", ", pending)} waiting for other shards). When every shard has finished, " +
                $"'hpcsgd merge {folder}' writes the report; with several successive-halving rungs, run each shard again with --resume to take its trials past a rung.");
            return 0;
        }
        string report = Path.Combine(folder, "report.md");
        ResultFiles.WriteAtomically(report, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false));
            writer.Write(MarkdownReport.Write(outcomes, settings, Stopwatch.GetElapsedTime(start).TotalSeconds));
        });
        console.WriteLine();
        foreach (ExperimentOutcome o in outcomes.Where(o => o.Sweep is not null))
        {
            console.WriteLine($"{o.Experiment.Name}: {o.Sweep!.Recommendation.Summary}");
        }
        console.WriteLine($"Report: {report} ({Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s in all)");
        return 0;
    }

    private static ExperimentOutcome RunExperiment(Experiment experiment, ExperimentPlan plan, ExplorerSettings settings, string folder, IAnsiConsole console,
        CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        Directory.CreateDirectory(folder);
        console.WriteLine();
        console.WriteLine($"[{experiment.Name}] {experiment.Title}");
        console.WriteLine($"  model {experiment.ModelDescription}; {plan.LearningRates.Length} learning rates x {plan.BatchSizes.Length} batch sizes, " +
            $"{plan.Budget} per trial, {(plan.Rungs > 1 ? $"{plan.Rungs} successive-halving rungs" : "no early stopping")}");

        SweepResult? sweep = null;
        if (settings.Parts.HasFlag(ExplorerParts.Sweep))
        {
            var options = new SweepOptions
            {
                LearningRates = plan.LearningRates,
                BatchSizes = plan.BatchSizes,
                Budget = plan.Budget,
                Rungs = plan.Rungs,
                Finalists = plan.Finalists,
                RefineRate = plan.Finalists > 0,
                Threads = settings.Threads,
                Evaluations = settings.Evaluations,
                RollBacks = settings.RollBacks,
                Seed = settings.Seed,
                JournalFolder = folder,
                Shard = settings.Shard,
            };
            options.Validate(experiment.TrainingCount);
            sweep = ProgressDisplay.Run(console, $"{experiment.Name} sweep", monitor => experiment.Sweep(options, monitor, cancellationToken));
            ResultFiles.WriteJson(Path.Combine(folder, "sweep.json"), sweep);
            ResultFiles.WriteTrialsCsv(Path.Combine(folder, "trials.csv"), sweep.Trials);
            ResultFiles.WriteCurvesCsv(Path.Combine(folder, "curves.csv"), sweep.Trials);
            Plots.Heatmap(Path.Combine(folder, "heatmap.png"), sweep, experiment.Name);
            Plots.BestCurves(Path.Combine(folder, "best-curves.png"), sweep, experiment.Name, ArticleTrial(experiment, sweep));
            if (TimeToTarget.Of(sweep) is { } time)
            {
                Plots.TimeToTarget(Path.Combine(folder, "time-to-target.png"), time, experiment.Name);
            }
            if (CriticalBatchSize.Of(sweep) is { } scaling)
            {
                Plots.CriticalBatch(Path.Combine(folder, "critical-batch.png"), scaling, experiment.Name);
            }
            console.Write(GridTable(sweep));
        }

        IReadOnlyList<RangeTestResult>? ranges = null;
        BudgetedRateResult? budgeted = null;
        cancellationToken.ThrowIfCancellationRequested();
        if (settings.Parts.HasFlag(ExplorerParts.RangeTest))
        {
            int[] batches = RangeTestBatches(plan.BatchSizes);
            ulong[] seeds = [.. Enumerable.Range(1, settings.RangeTestSeeds).Select(i => (ulong)i + settings.Seed * 1000)];
            var options = new RangeTestOptions
            {
                MinLearningRate = plan.LearningRates.Min() / 100f,
                MaxLearningRate = plan.LearningRates.Max() * 10f,
                Steps = 300,
            };
            ranges = experiment.RangeTests(options, seeds, batches);
            ResultFiles.WriteJson(Path.Combine(folder, "range-test.json"), ranges);
            ResultFiles.WriteRangeTestCsv(Path.Combine(folder, "range-test.csv"), ranges);
            Plots.RangeTest(Path.Combine(folder, "range-test.png"), ranges, experiment.Name);
            budgeted = BudgetedRatesFor(experiment, plan, settings, cancellationToken);
            if (budgeted is not null)
            {
                ResultFiles.WriteJson(Path.Combine(folder, "budgeted-rates.json"), budgeted);
            }
            // With a budget in samples the suggestion is the budget's rate; the ramp cannot see a budget, so it is shown beside it.
            foreach (string line in RangeTestLines(ranges, budgeted))
            {
                console.WriteLine(line);
            }
        }

        (float lr, int batch) pair = NoisePair(plan, sweep, ranges);
        GradientVarianceStudy? variance = null;
        IReadOnlyList<NoiseScaleEstimate>? noise = null;
        cancellationToken.ThrowIfCancellationRequested();
        if (settings.Parts.HasFlag(ExplorerParts.Noise))
        {
            int[] sizes = [.. plan.BatchSizes.Where(b => b < experiment.TrainingCount).Order()];
            if (sizes.Length < 2)
            {
                sizes = [1, Math.Max(2, experiment.TrainingCount / 4)];
            }
            variance = experiment.GradientVariance(sizes, settings.NoiseDraws, settings.Seed + 17);
            // Small batch 1: the per-example gradient norms of each big batch (one gradient per draw, far less noise).
            int small = 1, big = sizes.Where(b => b > 1).DefaultIfEmpty(2).Last(b => b <= experiment.TrainingCount / 2 || b == sizes.First(s => s > 1));
            int steps = plan.Budget.Kind == BudgetKind.WallTime ? 1000 : plan.Budget.StepLimit(pair.batch);
            noise = experiment.NoiseOverTraining(pair.lr, pair.batch, steps, checkpoints: 9, small, big, settings.NoiseDraws, settings.Seed + 29);
            ResultFiles.WriteJson(Path.Combine(folder, "gradient-variance.json"), variance, Path.Combine(folder, "noise-scale.json"), noise);
            Plots.GradientVariance(Path.Combine(folder, "gradient-variance.png"), variance, experiment.Name);
            Plots.NoiseScale(Path.Combine(folder, "noise-scale.png"), noise, experiment.Name);
            console.WriteLine($"  gradient variance vs batch size: slope {variance.Slope:F2} on log-log axes (1/B gives -1); noise scale B_simple while " +
                $"training at lr {pair.lr:G3}, batch {pair.batch}: {string.Join(", ", noise.Select(e => e.IsResolved ? e.NoiseScale.ToString("G3", CultureInfo.InvariantCulture) : "-"))} " +
                "(- = |G|^2 within its noise)");
        }
        return new ExperimentOutcome(experiment, plan, sweep, ranges, variance, noise, pair, Stopwatch.GetElapsedTime(start).TotalSeconds, budgeted);
    }

    /// <summary>The article's cell (lr 0.01, batch 10) of the classic example, when the grid has it.</summary>
    internal static TrialResult? ArticleTrial(Experiment experiment, SweepResult sweep) =>
        experiment.Name != "classic" ? null
            : sweep.Trials.FirstOrDefault(t => MathF.Abs(t.LearningRate - ArticleLearningRate) < 1e-6f && t.BatchSize == ArticleBatchSize);

    /// <summary>
    /// One line per batch size: the rate for the budget (<see cref="BudgetedRates"/>, checked) where there is one, and the
    /// 300-step ramp's suggestion over its seeds where it ran.
    /// </summary>
    internal static IEnumerable<string> RangeTestLines(IReadOnlyList<RangeTestResult> ranges, BudgetedRateResult? budgeted)
    {
        int[] batches = [.. ranges.Select(r => r.BatchSize).Concat(budgeted?.Rates.Select(r => r.BatchSize) ?? []).Distinct().Order()];
        foreach (int batch in batches)
        {
            RangeTestResult[] ramp = [.. ranges.Where(r => r.BatchSize == batch)];
            string rampText = ramp.Length == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
                $"{Plots.Median(ramp.Select(r => (double)r.Suggested)):G3} (seeds: {Min(ramp, r => r.Suggested):G3}..{Max(ramp, r => r.Suggested):G3}; " +
                $"valley {Plots.Median(ramp.Select(r => (double)r.Valley)):G3}, loss minimum at {Plots.Median(ramp.Select(r => (double)r.Minimum)):G3})");
            string line = $"  range test, batch {batch}: suggested learning rate ";
            if (budgeted?.Rates.FirstOrDefault(r => r.BatchSize == batch) is { } rate)
            {
                string rule = rate.LearningRate != rate.RuleLearningRate ? string.Create(CultureInfo.InvariantCulture, $"; the rule's {rate.RuleLearningRate:G3}, checked") : "";
                line += string.Create(CultureInfo.InvariantCulture, $"{rate.LearningRate:G3} for this budget ({budgeted.Epochs} epochs{rule})");
                yield return rampText.Length > 0 ? line + "; the 300-step ramp's " + rampText : line;
            }
            else
            {
                yield return line + rampText;
            }
        }
    }

    /// <summary>
    /// The budgeted rates need a budget in samples (the same for every batch size); a step or wall-time budget gives
    /// none. Whole epochs, at least one.
    /// </summary>
    private static BudgetedRateResult? BudgetedRatesFor(Experiment experiment, ExperimentPlan plan, ExplorerSettings settings, CancellationToken cancellationToken)
    {
        if (plan.Budget.Kind != BudgetKind.Samples)
        {
            return null;
        }
        int epochs = (int)Math.Max(1, (plan.Budget.Amount + experiment.TrainingCount / 2) / experiment.TrainingCount);
        int[] batches = [.. plan.BatchSizes.Where(b => b <= experiment.TrainingCount)];
        return batches.Length == 0 ? null : experiment.BudgetedRates(new BudgetedRateOptions { Epochs = epochs, BatchSizes = batches, Seed = settings.Seed }, cancellationToken);
    }

    /// <summary>Smallest, middle and largest batch size of the grid.</summary>
    private static int[] RangeTestBatches(int[] batches)
    {
        int[] sorted = [.. batches.Order()];
        return [.. new[] { sorted[0], sorted[sorted.Length / 2], sorted[^1] }.Distinct()];
    }

    /// <summary>The pair the noise scale is followed at: the sweep's recommendation, else the range test's suggestion.</summary>
    private static (float, int) NoisePair(ExperimentPlan plan, SweepResult? sweep, IReadOnlyList<RangeTestResult>? ranges)
    {
        if (sweep is not null && sweep.Recommendation.BestBatchSize > 0)
        {
            return (sweep.Recommendation.BestLearningRate, sweep.Recommendation.BestBatchSize);
        }
        int batch = plan.BatchSizes.Order().ElementAt(plan.BatchSizes.Length / 2);
        if (ranges is not null && ranges.Any(r => r.BatchSize == batch && float.IsFinite(r.Suggested)))
        {
            return ((float)Plots.Median(ranges.Where(r => r.BatchSize == batch).Select(r => (double)r.Suggested)), batch);
        }
        return (plan.LearningRates[plan.LearningRates.Length / 2], batch);
    }

    /// <summary>The grid as a table: final validation loss and label per cell, the recommended cell marked.</summary>
    private static Table GridTable(SweepResult sweep)
    {
        int[] batches = [.. sweep.Options.BatchSizes.Order()];
        var table = new Table().Border(TableBorder.Rounded).Title("final validation loss (label)");
        table.AddColumn("lr \\ batch");
        foreach (int b in batches)
        {
            table.AddColumn(new TableColumn(b.ToString(CultureInfo.InvariantCulture)).RightAligned());
        }
        foreach (float lr in sweep.Options.LearningRates.Order())
        {
            var cells = new List<string> { lr.ToString("G3", CultureInfo.InvariantCulture) };
            foreach (int b in batches)
            {
                TrialResult t = sweep.Trials.Single(x => x.LearningRate == lr && x.BatchSize == b);
                bool best = lr == sweep.Recommendation.BestLearningRate && b == sweep.Recommendation.BestBatchSize;
                string loss = float.IsFinite(t.FinalValidationLoss) ? t.FinalValidationLoss.ToString("G3", CultureInfo.InvariantCulture) : "-";
                string text = t.Status == TrialStatus.Diverged ? "diverged" : $"{loss} {TrialWords.Outcome(t)}";
                string color = TrialWords.Colour(t);
                cells.Add(best ? $"[bold {color}]*{Markup.Escape(text)}[/]" : $"[{color}]{Markup.Escape(text)}[/]");
            }
            table.AddRow([.. cells]);
        }
        table.Caption("* recommended; still improving = too slow for the budget; stalled = stuck near the start; stopped early = cut by successive halving");
        return table;
    }

    private static float Min<T>(IEnumerable<T> items, Func<T, float> f) => items.Select(f).Min();

    private static float Max<T>(IEnumerable<T> items, Func<T, float> f) => items.Select(f).Max();
}
