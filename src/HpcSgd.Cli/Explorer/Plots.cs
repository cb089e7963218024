using System.Globalization;
using HpcSgd.Tuning;
using ScottPlot;

namespace HpcSgd.Cli.Explorer;

/// <summary>
/// The explorer's PNG charts (ScottPlot, headless). Log axes are drawn as log10 values with tick labels in the
/// original units, so a reader sees 0.01, 0.1, 1 rather than -2, -1, 0.
/// </summary>
internal static class Plots
{
    private const int Width = 900, Height = 560;

    /// <summary>Final validation loss over learning rate x batch size, each cell labelled with how its trial went.</summary>
    public static void Heatmap(string path, SweepResult sweep, string title)
    {
        float[] rates = [.. sweep.Options.LearningRates.Order()];
        int[] batches = [.. sweep.Options.BatchSizes.Order()];
        var values = new double[rates.Length, batches.Length];
        var plot = new Plot();
        for (int r = 0; r < rates.Length; r++)
        {
            for (int b = 0; b < batches.Length; b++)
            {
                TrialResult t = sweep.Trials.Single(x => x.LearningRate == rates[r] && x.BatchSize == batches[b]);
                // Row 0 of the array is drawn at the top: put the largest learning rate there.
                int row = rates.Length - 1 - r;
                values[row, b] = float.IsFinite(t.FinalValidationLoss) ? Math.Log10(t.FinalValidationLoss) : double.NaN;
                string loss = float.IsFinite(t.FinalValidationLoss) ? t.FinalValidationLoss.ToString("G3", CultureInfo.InvariantCulture) : "";
                var text = plot.Add.Text($"{loss}\n{Short(t, sweep.Options)}", b + 0.5, r + 0.5);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 11;
                text.LabelFontColor = Colors.Black;
                text.LabelBackgroundColor = Colors.White.WithAlpha(0.6);
            }
        }
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Extent = new CoordinateRect(0, batches.Length, 0, rates.Length);
        heatmap.NaNCellColor = Colors.LightGray;
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "log10(final validation loss)";
        plot.MoveToBack(heatmap);
        plot.Axes.Bottom.SetTicks([.. batches.Select((_, i) => i + 0.5)], [.. batches.Select(b => b.ToString(CultureInfo.InvariantCulture))]);
        plot.Axes.Left.SetTicks([.. rates.Select((_, i) => i + 0.5)], [.. rates.Select(x => x.ToString("G3", CultureInfo.InvariantCulture))]);
        plot.Axes.SetLimits(0, batches.Length, 0, rates.Length);
        plot.XLabel("batch size");
        plot.YLabel("learning rate");
        plot.Title(sweep.Options.Rungs > 1
            ? $"{title}: validation loss after {sweep.Options.Budget}, or where halving stopped the trial"
            : $"{title}: validation loss after {sweep.Options.Budget}");
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Validation-loss curves (against samples seen) of the best trials, and of <paramref name="highlight"/> if given.</summary>
    public static void BestCurves(string path, SweepResult sweep, string title, TrialResult? highlight, int count = 6)
    {
        var plot = new Plot();
        IEnumerable<TrialResult> best = sweep.Trials.Where(t => t.Status != TrialStatus.Diverged)
            .OrderByDescending(t => t.RungReached).ThenBy(t => t.FinalValidationLoss).Take(count);
        if (highlight is not null && !best.Contains(highlight))
        {
            best = best.Append(highlight);
        }
        foreach (TrialResult t in best)
        {
            CurvePoint[] points = [.. t.Curve.Where(p => p.SamplesSeen > 0 && float.IsFinite(p.ValidationLoss) && p.ValidationLoss > 0)];
            if (points.Length == 0)
            {
                continue;
            }
            var line = plot.Add.Scatter(points.Select(p => Math.Log10(p.SamplesSeen)).ToArray(), points.Select(p => Math.Log10(p.ValidationLoss)).ToArray());
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"lr {t.LearningRate:G3}, batch {t.BatchSize} ({t.Label})") +
                (ReferenceEquals(t, highlight) ? " - the article's choice" : "");
            line.LineWidth = ReferenceEquals(t, highlight) ? 3 : 1.5f;
        }
        LogTicks(plot.Axes.Bottom);
        LogTicks(plot.Axes.Left);
        plot.XLabel("samples seen");
        plot.YLabel("validation loss");
        plot.Title($"{title}: loss curves of the best trials");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Validation loss against seconds of training for each batch size's fastest trial to the target, with the target drawn.</summary>
    public static void TimeToTarget(string path, TimeToTarget time, string title)
    {
        var plot = new Plot();
        foreach (TargetCrossing c in time.PerBatchSize)
        {
            CurvePoint[] points = [.. c.Trial.Curve.Where(p => p.Seconds > 0 && float.IsFinite(p.ValidationLoss) && p.ValidationLoss > 0)];
            if (points.Length == 0)
            {
                continue;
            }
            var line = plot.Add.Scatter(points.Select(p => Math.Log10(p.Seconds)).ToArray(), points.Select(p => Math.Log10(p.ValidationLoss)).ToArray());
            bool fastest = ReferenceEquals(c, time.Fastest) || c.Trial == time.Fastest?.Trial;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"batch {c.Trial.BatchSize}, lr {c.Trial.LearningRate:G3}: target after {c.Seconds:G3} s") + (fastest ? " (fastest)" : "");
            line.LineWidth = fastest ? 3 : 1.5f;
        }
        var target = plot.Add.HorizontalLine(Math.Log10(time.TargetLoss));
        target.LegendText = string.Create(CultureInfo.InvariantCulture, $"target: within {time.Tolerance * 100:G3}% of the best loss ({time.TargetLoss:G4})");
        target.LinePattern = LinePattern.Dashed;
        LogTicks(plot.Axes.Bottom);
        LogTicks(plot.Axes.Left);
        plot.XLabel("seconds of training (validation excluded)");
        plot.YLabel("validation loss");
        plot.Title($"{title}: loss against wall time, fastest trial per batch size");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Steps against samples to the common target, one point per batch size, with the fitted hyperbola (S/S_min - 1)(E/E_min - 1) = 1.</summary>
    public static void CriticalBatch(string path, CriticalBatchSize scaling, string title)
    {
        var plot = new Plot();
        var measured = plot.Add.Scatter(scaling.Points.Select(p => Math.Log10(p.Samples)).ToArray(), scaling.Points.Select(p => Math.Log10(p.Steps)).ToArray());
        measured.LineWidth = 0;
        measured.MarkerSize = 9;
        measured.LegendText = "measured: each batch size at its fastest rate";
        foreach (BatchScalingPoint p in scaling.Points)
        {
            var label = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"B {p.BatchSize}"), Math.Log10(p.Samples), Math.Log10(p.Steps));
            label.LabelFontSize = 11;
            label.LabelOffsetX = 6;
        }
        if (scaling is { MinimumSteps: double sMin, MinimumSamples: double eMin, Value: double critical })
        {
            // S(B) = S_min (1 + B_crit / B), E(B) = E_min (1 + B / B_crit), over a range wider than the batch sizes.
            double low = Math.Log10(scaling.Points[0].BatchSize) - 1, high = Math.Log10(scaling.Points[^1].BatchSize) + 1;
            double[] b = [.. Enumerable.Range(0, 61).Select(i => Math.Pow(10, low + (high - low) * i / 60))];
            var fit = plot.Add.Scatter(b.Select(x => Math.Log10(eMin * (1 + x / critical))).ToArray(), b.Select(x => Math.Log10(sMin * (1 + critical / x))).ToArray());
            fit.MarkerSize = 0;
            fit.LinePattern = LinePattern.Dashed;
            fit.LegendText = string.Create(CultureInfo.InvariantCulture, $"fit: S_min {sMin:G3}, E_min {eMin:G3}, B_crit {critical:G3}");
        }
        LogTicks(plot.Axes.Bottom);
        LogTicks(plot.Axes.Left);
        plot.XLabel("samples to the target, E");
        plot.YLabel("steps to the target, S");
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{title}: steps against samples to validation loss {scaling.TargetLoss:G4}"));
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>The range tests' smoothed loss against the learning rate, one line per (batch size, seed), with each batch size's suggestion.</summary>
    public static void RangeTest(string path, IReadOnlyList<RangeTestResult> results, string title)
    {
        var plot = new Plot();
        double low = double.PositiveInfinity, start = double.NegativeInfinity;
        var palette = new ScottPlot.Palettes.Category10();
        int[] batches = [.. results.Select(r => r.BatchSize).Distinct()];
        for (int bi = 0; bi < batches.Length; bi++)
        {
            Color color = palette.GetColor(bi);
            RangeTestResult[] runs = [.. results.Where(r => r.BatchSize == batches[bi])];
            for (int k = 0; k < runs.Length; k++)
            {
                RangeTestResult r = runs[k];
                var line = plot.Add.Scatter(r.LearningRates.Select(x => Math.Log10(x)).ToArray(), r.SmoothedLosses.Select(x => (double)x).ToArray());
                line.Color = color;
                line.MarkerSize = 0;
                line.LineWidth = 1.2f;
                if (k == 0)
                {
                    line.LegendText = $"batch {batches[bi]} ({runs.Length} seeds)";
                }
                low = Math.Min(low, r.SmoothedLosses.Min());
                start = Math.Max(start, r.SmoothedLosses.Take(Math.Max(1, r.SmoothedLosses.Count / 10)).Max());
            }
            double suggested = Median(runs.Select(r => (double)r.Suggested));
            var marker = plot.Add.VerticalLine(Math.Log10(suggested));
            marker.Color = color;
            marker.LinePattern = LinePattern.Dashed;
            marker.LegendText = string.Create(CultureInfo.InvariantCulture, $"suggested for batch {batches[bi]}: {suggested:G3}");
        }
        LogTicks(plot.Axes.Bottom);
        if (double.IsFinite(low) && double.IsFinite(start) && start > low)
        {
            plot.Axes.SetLimitsY(low - 0.1 * (start - low), start + 0.5 * (start - low));
        }
        plot.XLabel("learning rate");
        plot.YLabel("smoothed training loss");
        plot.Title($"{title}: learning-rate range test (dashed: steepest descent, median over seeds)");
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Mini-batch gradient variance against the batch size on log-log axes, with the 1/B line for reference.</summary>
    public static void GradientVariance(string path, GradientVarianceStudy study, string title)
    {
        var plot = new Plot();
        double[] x = [.. study.Variances.Select(v => Math.Log10(v.BatchSize))];
        double[] y = [.. study.Variances.Select(v => Math.Log10(v.MeanSquaredDeviation))];
        var measured = plot.Add.Scatter(x, y);
        measured.LegendText = string.Create(CultureInfo.InvariantCulture, $"measured E|g_B - G|^2 (slope {study.Slope:F2})");
        measured.MarkerSize = 8;
        double[] reference = [.. x.Select(v => y[0] - (v - x[0]))];
        var line = plot.Add.Scatter(x, reference);
        line.LegendText = "1/B (slope -1)";
        line.LinePattern = LinePattern.Dashed;
        line.MarkerSize = 0;
        LogTicks(plot.Axes.Bottom);
        LogTicks(plot.Axes.Left);
        plot.XLabel("batch size B");
        plot.YLabel("variance of the mini-batch gradient");
        plot.Title($"{title}: the gradient's noise falls as 1/B");
        plot.ShowLegend();
        plot.SavePng(path, Width, Height);
    }

    /// <summary>
    /// What each checkpoint says about B_simple = tr(Sigma)/|G|^2: resolved ones a value with its 95% interval, unresolved
    /// ones (|G|^2 within two standard errors of 0) a lower bound only, tr(Sigma) over |G|^2 + 2 standard errors ("at
    /// least this"). Checkpoints with no positive tr(Sigma) estimate say nothing and are left out.
    /// </summary>
    internal static (double SamplesSeen, double Low, double Value, double High, bool Resolved)[] NoiseScalePoints(IReadOnlyList<NoiseScaleEstimate> estimates) =>
        [.. estimates.Where(e => e.TraceSigma > 0 && double.IsFinite(e.TraceSigma)).Select(e => e.IsResolved
            ? ((double)e.SamplesSeen, Math.Max(e.NoiseScaleLow, double.Epsilon), e.NoiseScale, e.NoiseScaleHigh, true)
            : ((double)e.SamplesSeen, e.TraceSigma / (Math.Max(e.GradientSquaredNorm, 0) + 2 * e.GradientSquaredNormError), double.NaN, double.PositiveInfinity, false))];

    /// <summary>The noise-scale estimate B_simple over a training run: values with their interval, and lower bounds where |G|^2 was within its noise.</summary>
    public static void NoiseScale(string path, IReadOnlyList<NoiseScaleEstimate> estimates, string title)
    {
        var plot = new Plot();
        var points = NoiseScalePoints(estimates);
        var resolved = points.Where(p => p.Resolved).ToArray();
        var bounds = points.Where(p => !p.Resolved).ToArray();
        string batches = estimates.Count == 0 ? "" : estimates[0].SmallBatch == 1 ? $" (batches of {estimates[0].BigBatch}, per-example norms)"
            : $" (batches {estimates[0].SmallBatch} and {estimates[0].BigBatch})";
        // An interval without an upper end reaches a decade above the highest point.
        double top = points.Length == 0 ? 1 : Math.Log10(points.Max(p => double.IsFinite(p.High) ? p.High : 10 * Math.Max(p.Low, double.IsFinite(p.Value) ? p.Value : p.Low)));
        if (resolved.Length > 0)
        {
            var line = plot.Add.Scatter(resolved.Select(p => p.SamplesSeen).ToArray(), resolved.Select(p => Math.Log10(p.Value)).ToArray());
            line.LegendText = "B_simple" + batches + " with its 95% interval";
            line.MarkerSize = 7;
            foreach (var p in resolved)
            {
                var bar = plot.Add.Line(p.SamplesSeen, Math.Log10(p.Low), p.SamplesSeen, double.IsFinite(p.High) ? Math.Log10(p.High) : top);
                bar.Color = line.Color;
            }
        }
        if (bounds.Length > 0)
        {
            var atLeast = plot.Add.Scatter(bounds.Select(p => p.SamplesSeen).ToArray(), bounds.Select(p => Math.Log10(p.Low)).ToArray());
            atLeast.LegendText = "not resolved (|G|^2 within its noise): B_simple at least this";
            atLeast.LineWidth = 0;
            atLeast.MarkerSize = 10;
            atLeast.MarkerShape = MarkerShape.FilledTriangleUp;
        }
        LogTicks(plot.Axes.Left);
        plot.XLabel("samples seen in training");
        plot.YLabel("gradient noise scale B_simple");
        plot.Title($"{title}: gradient noise scale over training");
        plot.ShowLegend();
        plot.SavePng(path, Width, Height);
    }

    private static string Short(TrialResult t, SweepOptions options) => t.Status == TrialStatus.Stopped
        ? $"stopped at 1/{Math.Pow(options.ReductionFactor, options.Rungs - 1 - t.RungReached):0}"
        : TrialWords.Outcome(t);

    private static void LogTicks(IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => Label(Math.Pow(10, v)),
        };

    /// <summary>"0.001", "0.316", "100", "31,600": three significant digits without exponents.</summary>
    private static string Label(double value)
    {
        double rounded = double.Parse(value.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return rounded >= 1000 ? rounded.ToString("N0", CultureInfo.InvariantCulture) : rounded.ToString("0.#######", CultureInfo.InvariantCulture);
    }

    internal static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Where(double.IsFinite).Order()];
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
    }
}
