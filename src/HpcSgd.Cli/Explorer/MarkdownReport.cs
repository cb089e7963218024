using System.Globalization;
using System.Text;
using HpcSgd.Tuning;

namespace HpcSgd.Cli.Explorer;

/// <summary>report.md: the recommendation in words, then per experiment the tables and links to the files and charts.</summary>
internal static class MarkdownReport
{
    public static string Write(IReadOnlyList<ExperimentOutcome> outcomes, ExplorerSettings settings, double seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# HpcSgd explorer report: learning rate x batch size");
        md.AppendLine();
        md.AppendLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} logical cores, {settings.Threads} trial threads, {seconds:F1} s in all. " +
            "Every trial starts from the same initial parameters; budgets count samples seen, so batch sizes are compared at equal data.");
        md.AppendLine();
        md.AppendLine("## Recommendations");
        md.AppendLine();
        foreach (ExperimentOutcome o in outcomes)
        {
            md.AppendLine(inv, $"- **{o.Experiment.Name}**: {(o.Sweep is null ? RangeOnly(o) : PlainAnswer.For(o.Sweep) + "\n\n  " + o.Sweep.Recommendation.Summary)}");
        }
        foreach (ExperimentOutcome o in outcomes)
        {
            Section(md, o);
        }
        return md.ToString();
    }

    private static string RangeOnly(ExperimentOutcome o) => o.RangeTests is null
        ? "no sweep was run."
        : string.Join(" ", o.RangeTests.GroupBy(r => r.BatchSize).Select(g =>
            string.Create(CultureInfo.InvariantCulture, $"Range test at batch {g.Key}: learning rate {Plots.Median(g.Select(r => (double)r.Suggested)):G3}.")));

    private static void Section(StringBuilder md, ExperimentOutcome o)
    {
        var inv = CultureInfo.InvariantCulture;
        string dir = o.Experiment.Name;
        md.AppendLine();
        md.AppendLine(inv, $"## {o.Experiment.Name}");
        md.AppendLine();
        md.AppendLine(inv, $"Data: {o.Experiment.Title}. Model: {o.Experiment.ModelDescription}. {o.Seconds:F1} s.");
        if (o.Experiment.Notes.Count > 0)
        {
            md.AppendLine();
            foreach (string note in o.Experiment.Notes)
            {
                md.AppendLine($"- {note}");
            }
        }
        if (o.Sweep is SweepResult sweep)
        {
            md.AppendLine();
            md.AppendLine("### Sweep");
            md.AppendLine();
            md.AppendLine($"{o.Plan.LearningRates.Length} learning rates x {o.Plan.BatchSizes.Length} batch sizes, {o.Plan.Budget} per trial, " +
                (o.Plan.Rungs > 1 ? $"successive halving over {o.Plan.Rungs} rungs (eta {sweep.Options.ReductionFactor}): " +
                    $"{sweep.Trials.Count(t => t.Status == TrialStatus.Stopped)} trials stopped early" : "every trial to the end") +
                $", {sweep.Trials.Count(t => t.Status == TrialStatus.Diverged)} diverged; {sweep.WallSeconds:F1} s. Initial validation loss {sweep.InitialValidationLoss:G4}.");
            md.AppendLine();
            md.AppendLine(sweep.Recommendation.Summary);
            if (BudgetPath.Describe(BudgetPath.Of(sweep)) is { Length: > 0 } path)
            {
                md.AppendLine();
                md.AppendLine(path);
            }
            Finalists(md, sweep);
            TimeAndBatch(md, o, sweep);
            if (sweep.Trials.Any(t => t.RolledBack))
            {
                md.AppendLine();
                md.AppendLine("Rolled back (diverged, went back to the last evaluation and on at half the rate; counted as diverged at their own rate): " +
                    string.Join("; ", sweep.Trials.Where(t => t.RolledBack).Select(t => string.Create(inv,
                        $"learning rate {t.LearningRate:G3}, batch {t.BatchSize}: ") + string.Join(", ", t.RollBacks!.Select(r => string.Create(inv,
                        $"at step {r.Step} back to step {r.RestoredStep}, on at {r.LearningRate:G3}"))))) + ".");
            }
            if (o.Experiment.TargetScale is float scale && float.IsFinite(sweep.Recommendation.BestValidationLoss))
            {
                // The loss is the plain mean squared error of the standardised target: times the variance, the target's units.
                double mse = (double)sweep.Recommendation.BestValidationLoss * scale * scale;
                md.AppendLine();
                md.AppendLine(inv, $"In the target's own units: the recommended pair's validation loss {sweep.Recommendation.BestValidationLoss:G4} (standardised) is a mean squared error of {mse:G4} (root: {Math.Sqrt(mse):G4}).");
            }
            if (ExplorerJob.ArticleTrial(o.Experiment, sweep) is TrialResult article)
            {
                md.AppendLine();
                md.AppendLine($"**The article's choice** (learning rate {ExplorerJob.ArticleLearningRate}, batch {ExplorerJob.ArticleBatchSize}, " +
                    $"{article.Steps:N0} iterations): {Describe(article)}, validation loss {article.FinalValidationLoss:G4} against {sweep.Recommendation.BestValidationLoss:G4} " +
                    $"for the recommended pair. " + (article.Label == TrialLabel.StillImproving
                        ? "It had not converged: its loss was still falling when the budget ran out."
                        : "It had settled."));
            }
            md.AppendLine();
            md.AppendLine("Final validation loss (label) per cell; * marks the recommendation:");
            md.AppendLine();
            int[] batches = [.. o.Plan.BatchSizes.Order()];
            md.AppendLine("| learning rate | " + string.Join(" | ", batches.Select(b => $"B {b}")) + " |");
            md.AppendLine("|---:|" + string.Concat(batches.Select(_ => "---:|")));
            foreach (float lr in o.Plan.LearningRates.Order())
            {
                md.Append(inv, $"| {lr:G3} |");
                foreach (int b in batches)
                {
                    TrialResult t = sweep.Trials.Single(x => x.LearningRate == lr && x.BatchSize == b);
                    bool best = lr == sweep.Recommendation.BestLearningRate && b == sweep.Recommendation.BestBatchSize;
                    string loss = float.IsFinite(t.FinalValidationLoss) ? t.FinalValidationLoss.ToString("G3", inv) : "";
                    md.Append(inv, $" {(best ? "**" : "")}{loss} {Describe(t)}{(best ? "** *" : "")} |");
                }
                md.AppendLine();
            }
            md.AppendLine();
            md.AppendLine("Per batch size:");
            md.AppendLine();
            md.AppendLine("| batch | best learning rate | its loss | stable from | stable to | diverges from |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (BatchSizeSummary b in sweep.Recommendation.BatchSizes)
            {
                md.AppendLine(inv, $"| {b.BatchSize} | {F(b.BestLearningRate)}{(b.BestAtGridEdge ? " (grid edge)" : "")} | {F(b.BestValidationLoss)} | {F(b.StableFrom)} | {F(b.StableTo)} | {F(b.DivergedFrom)} |");
            }
            md.AppendLine();
            md.AppendLine(inv, $"![validation loss heatmap]({dir}/heatmap.png)");
            md.AppendLine();
            md.AppendLine(inv, $"![loss curves of the best trials]({dir}/best-curves.png)");
            md.AppendLine();
            md.AppendLine(inv, $"Files: [sweep.json]({dir}/sweep.json) (everything), [trials.csv]({dir}/trials.csv), [curves.csv]({dir}/curves.csv).");
        }
        if (o.Experiment.Declaration is { } declaration)
        {
            Shipping(md, declaration, o.Sweep?.Recommendation);
        }
        if (o.RangeTests is { } ranges)
        {
            md.AppendLine();
            md.AppendLine("### Learning-rate range test");
            md.AppendLine();
            md.AppendLine("The rate grows exponentially over 300 steps; the smoothed loss is recorded until it exceeds 4x its minimum; the parameters are then restored. " +
                "Suggested = steepest descent of the smoothed loss against log(rate); valley = fastai's; minimum = where the smoothed loss bottoms out (divide by ~10 for a safe rate).");
            md.AppendLine();
            md.AppendLine("| batch | seeds | suggested (median) | spread over seeds | valley (median) | minimum (median) |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (IGrouping<int, RangeTestResult> g in ranges.GroupBy(r => r.BatchSize))
            {
                md.AppendLine(inv, $"| {g.Key} | {g.Count()} | {Plots.Median(g.Select(r => (double)r.Suggested)):G3} | {g.Min(r => r.Suggested):G3}..{g.Max(r => r.Suggested):G3} " +
                    $"(x{g.Max(r => r.Suggested) / g.Min(r => r.Suggested):F1}) | {Plots.Median(g.Select(r => (double)r.Valley)):G3} | {Plots.Median(g.Select(r => (double)r.Minimum)):G3} |");
            }
            md.AppendLine();
            md.AppendLine(inv, $"![range test]({dir}/range-test.png)");
            md.AppendLine();
            md.AppendLine(inv, $"Files: [range-test.json]({dir}/range-test.json), [range-test.csv]({dir}/range-test.csv).");
            if (o.BudgetedRates is { } budgeted)
            {
                md.AppendLine();
                md.AppendLine(inv, $"### A rate per batch size for this budget ({budgeted.Epochs} epochs)");
                md.AppendLine();
                md.AppendLine(string.Create(inv, $"The range test's ramp is short and cannot see the budget; this rule can: eps(B) = eps_max / (1 + B_noise (1/B - 1/N)) " +
                    $"(McCandlish et al. 2018), with the best of {budgeted.AnchorSweep.Trials.Count} whole-budget trials at batch {budgeted.AnchorBatchSize} " +
                    $"({budgeted.AnchorRate:G3}) and B_noise = {budgeted.NoiseScale:G3} measured after a tenth of the budget at that batch; ") +
                    "each rule rate is then checked against the rates about 3x below and above it, all for the whole budget, and the best is suggested.");
                md.AppendLine();
                md.AppendLine("| batch | rate | the rule's rate |");
                md.AppendLine("|---:|---:|---:|");
                foreach (BudgetedRate rate in budgeted.Rates)
                {
                    md.AppendLine(inv, $"| {rate.BatchSize} | {rate.LearningRate:G3} | {rate.RuleLearningRate:G3} |");
                }
                md.AppendLine();
                md.AppendLine(inv, $"File: [budgeted-rates.json]({dir}/budgeted-rates.json).");
            }
        }
        if (o.Variance is { } variance && o.NoiseScale is { } noise)
        {
            md.AppendLine();
            md.AppendLine("### Gradient noise and the batch size");
            md.AppendLine();
            md.AppendLine($"Mini-batch gradients at the initial parameters, {variance.Variances[0].Draws} draws per batch size, against the full-batch gradient " +
                $"(|G|^2 = {variance.FullGradientSquaredNorm:G4}). The variance falls with slope {variance.Slope:F2} on log-log axes (1/B gives -1): " +
                "a batch B times larger gives a gradient estimate with 1/B of the variance.");
            md.AppendLine();
            md.AppendLine("| batch B | E\\|g_B - G\\|^2 | B x that (~ tr Sigma) |");
            md.AppendLine("|---:|---:|---:|");
            foreach (GradientVariance v in variance.Variances)
            {
                md.AppendLine(inv, $"| {v.BatchSize} | {v.MeanSquaredDeviation:G4} | {v.BatchSize * v.MeanSquaredDeviation:G4} |");
            }
            md.AppendLine();
            md.AppendLine(inv, $"![gradient variance]({dir}/gradient-variance.png)");
            md.AppendLine();
            md.AppendLine($"Gradient noise scale B_simple = tr(Sigma)/|G|^2 (McCandlish et al. 2018), {NoiseSource(noise)}, " +
                $"while training at learning rate {o.NoisePair.LearningRate:G3}, batch {o.NoisePair.BatchSize}. Batches well below B_simple waste little data per step; " +
                "well above it, extra samples per step mostly buy a less noisy estimate that the step size cannot use.");
            md.AppendLine();
            md.AppendLine("| step | samples seen | \\|G\\|^2 estimate | tr(Sigma) estimate | B_simple |");
            md.AppendLine("|---:|---:|---:|---:|---:|");
            foreach (NoiseScaleEstimate e in noise)
            {
                md.AppendLine(inv, $"| {e.Step} | {e.SamplesSeen} | {e.GradientSquaredNorm:G4} ± {e.GradientSquaredNormError:G2} | {e.TraceSigma:G4} | {(e.IsResolved ? string.Create(inv, $"{e.NoiseScale:G4} (95%: {e.NoiseScaleLow:G3}..{e.NoiseScaleHigh:G3}, {e.Draws} draws)") : "not resolved")} |");
            }
            md.AppendLine();
            md.AppendLine(NoiseSuggestion(noise, o.Experiment.TrainingCount));
            md.AppendLine();
            md.AppendLine(inv, $"![noise scale]({dir}/noise-scale.png)");
            md.AppendLine();
            md.AppendLine(inv, $"Files: [gradient-variance.json]({dir}/gradient-variance.json), [noise-scale.json]({dir}/noise-scale.json).");
        }
    }

    /// <summary>Time to the target loss per pair, and the critical batch size fitted to steps against samples, with their charts.</summary>
    private static void TimeAndBatch(StringBuilder md, ExperimentOutcome o, SweepResult sweep)
    {
        string dir = o.Experiment.Name;
        if (TimeToTarget.Of(sweep) is { Fastest: not null } time)
        {
            md.AppendLine();
            md.AppendLine(time.Describe());
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"![loss against wall time]({dir}/time-to-target.png)");
        }
        if (CriticalBatchSize.Of(sweep) is { } scaling)
        {
            // B_simple late in training is the one to set beside B_crit: both grow as the loss falls.
            double? noiseScale = o.NoiseScale?.LastOrDefault(e => e.IsResolved)?.NoiseScale;
            int batch = sweep.Recommendation.BestBatchSize > 0 ? sweep.Recommendation.BestBatchSize : scaling.Points[0].BatchSize;
            md.AppendLine();
            md.AppendLine(scaling.Describe(batch, noiseScale));
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"![steps against samples]({dir}/critical-batch.png)");
        }
    }

    /// <summary>The declaration to paste into an application, with the recommended batch size declared and the rate in the options.</summary>
    /// <summary>The final rounds: each pair's grid loss beside its mean over more seeds (one seed can rank a lucky draw first).</summary>
    private static void Finalists(StringBuilder md, SweepResult sweep)
    {
        IReadOnlyList<FinalistSummary> finalists = sweep.Recommendation.Finalists;
        if (finalists.Count == 0)
        {
            return;
        }
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine();
        string refined = sweep.Options.RefineRate
            ? string.Create(inv, $", and the best of them at the rates half a grid step either side (from {sweep.Options.FinalistSeeds + 1} seeds, no grid trial)")
            : "";
        md.AppendLine(inv, $"The best trials, each trained again from {sweep.Options.FinalistSeeds} more seeds{refined}; the recommendation is the best mean:");
        md.AppendLine();
        md.AppendLine("| learning rate | batch | the sweep's trial | mean over its seeds | lowest | highest |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (FinalistSummary f in finalists)
        {
            string mean = double.IsFinite(f.MeanValidationLoss) ? f.MeanValidationLoss.ToString("G4", inv) : "a seed diverged";
            static string G4(float value) => float.IsFinite(value) ? value.ToString("G4", CultureInfo.InvariantCulture) : "-";
            md.AppendLine(inv, $"| {f.LearningRate:G3} | {f.BatchSize} | {G4(f.GridValidationLoss)} | {mean} | {G4(f.LowestValidationLoss)} | {G4(f.HighestValidationLoss)} |");
        }
    }

    private static void Shipping(StringBuilder md, HpcSgd.Compiler.ModelDeclaration declaration, Recommendation? recommendation)
    {
        var inv = CultureInfo.InvariantCulture;
        bool recommended = recommendation is not null && float.IsFinite(recommendation.BestLearningRate);
        var shipped = recommended
            ? new HpcSgd.Compiler.ModelDeclaration(declaration.Name, declaration.Loss, declaration.Layers, [recommendation!.BestBatchSize])
            : declaration;
        md.AppendLine();
        md.AppendLine("### In your application");
        md.AppendLine();
        md.AppendLine("This model was compiled at run time from the declaration below; in a project referencing the HpcSgd package, the same declaration " +
            "gives the same kernels at build time" + (recommended ? ", with the recommended batch size declared" : "") +
            ". Keep the type's name (any namespace will do) and `Model<T>.Load` reads the files `hpcsgd train --data ... --save` writes:");
        md.AppendLine();
        md.AppendLine("```csharp");
        md.AppendLine("using HpcSgd;");
        md.AppendLine("using HpcSgd.Training;");
        md.AppendLine();
        md.Append(shipped.ToCSharp());
        if (recommended)
        {
            md.AppendLine();
            md.AppendLine(inv, $"// Standardise features (and a regression target) as the notes above say, then:");
            md.AppendLine(inv, $"var options = new TrainingOptions {{ LearningRate = {recommendation!.BestLearningRate.ToString("R", inv)}f, BatchSize = {recommendation.BestBatchSize} }};");
        }
        md.AppendLine("```");
    }

    private static string Describe(TrialResult t) => TrialWords.Outcome(t);

    /// <summary>What the noise scale says about the batch size, in words; honest about estimates lost in their noise.</summary>
    internal static string NoiseSuggestion(IReadOnlyList<NoiseScaleEstimate> noise, int trainingCount)
    {
        var inv = CultureInfo.InvariantCulture;
        NoiseScaleEstimate[] resolved = [.. noise.Where(e => e.IsResolved)];
        if (resolved.Length == 0)
        {
            return "**Batch size the noise suggests**: not measurable here — the full-batch gradient was within its noise at every checkpoint.";
        }
        NoiseScaleEstimate first = resolved[0], last = resolved[^1];
        string text = string.Create(inv, $"**Batch size the noise suggests**: B_simple {first.NoiseScale:G3} at step {first.Step}") +
            (resolved.Length > 1 ? string.Create(inv, $", {last.NoiseScale:G3} at step {last.Step}") : "") +
            string.Create(inv, $". Batches much larger than B_simple mostly buy precision a step cannot use; much smaller ones waste steps. ");
        if (!noise[^1].IsResolved)
        {
            text += string.Create(inv, $"From step {noise.First(e => e.Step > last.Step && !e.IsResolved).Step} on, |G|^2 is within two standard errors of 0: ") +
                string.Create(inv, $"the model sits near a minimum of the training loss, the gradient is mostly noise, and B_simple is larger than can be measured — larger batches (up to the {trainingCount:N0} samples) keep paying off there.");
        }
        else
        {
            text += "B_simple grows as the loss falls: the gradient shrinks faster than its noise, so the useful batch size grows during training.";
        }
        return text;
    }

    private static string F(float value) => float.IsFinite(value) ? value.ToString("G3", CultureInfo.InvariantCulture) : "-";

    /// <summary>Which gradients the noise estimates came from.</summary>
    private static string NoiseSource(IReadOnlyList<NoiseScaleEstimate> noise) => noise.FirstOrDefault() is not { } e ? "not measured"
        : e.SmallBatch == 1 ? $"from batches of {e.BigBatch} and each sample's own gradient within them (per-example norms from the kernels)"
        : $"from batches of {e.SmallBatch} and {e.BigBatch}";
}
