using HpcSgd.Tuning;

namespace HpcSgd.Tests.Cli;

/// <summary>The explorer as the README runs it (hpcsgd with no arguments), its files, and its answers to bad input.</summary>
public sealed class ExplorerCommandTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private readonly string folder = Directory.CreateTempSubdirectory("hpcsgd-explorer-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static (int Exit, string Output, string Error) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void Default_run_writes_the_report_finds_the_article_unconverged_and_prints_the_recommendation()
    {
        string report = Path.Combine(folder, "report");
        (int exit, string output, string error) = Run("--out", report);

        Assert.True(exit == 0, error);
        Assert.Empty(error);
        Assert.Contains("classic: Recommended: learning rate", output);
        Assert.Contains("digits: Recommended: learning rate", output);
        string markdown = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.Contains("**The article's choice** (learning rate 0.01, batch 10, 1,000 iterations): still improving", markdown);
        Assert.Contains("It had not converged", markdown);
        // The report opens each data set with the article's question answered in plain words, then the recommendation.
        foreach (string experiment in new[] { "classic", "digits" })
        {
            string bullet = markdown.Split("\n- **" + experiment + "**: ")[1];
            Assert.Matches(@"^Too large a learning rate fails: at batch \d+, rates from [0-9.]+ up diverged\. Too small a rate crawls: at 0\.001 the validation loss ended at ", bullet);
            Assert.Contains("A larger batch averages away gradient noise but takes fewer steps for the same data", bullet);
            Assert.True(bullet.IndexOf("A larger batch", StringComparison.Ordinal) < bullet.IndexOf("Recommended: learning rate", StringComparison.Ordinal));
        }
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(markdown, @"How the best pair moves as the budget grows — 1/\d of it: learning rate"));
        // The wall-clock view and the critical batch size, for both data sets.
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(markdown, @"Fastest to within 5% of the best validation loss \(to [0-9.]+\): learning rate [0-9.]+, batch \d+, after [0-9.]+ m?s of training"));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(markdown, @"Steps to validation loss [0-9.]+, each batch size at its fastest rate: B \d+: [0-9,]+, B \d+"));

        foreach (string experiment in new[] { "classic", "digits" })
        {
            foreach (string chart in new[] { "heatmap", "best-curves", "range-test", "gradient-variance", "noise-scale", "time-to-target", "critical-batch" })
            {
                string png = Path.Combine(report, experiment, chart + ".png");
                byte[] bytes = File.ReadAllBytes(png);
                Assert.True(bytes.Length > 10_000, $"{png}: {bytes.Length} bytes");
                Assert.Equal(PngSignature, bytes[..8]);
                Assert.Contains($"({experiment}/{chart}.png)", markdown);
            }
            TrialResult[] trials = ResultFiles.ReadTrialsCsv(Path.Combine(report, experiment, "trials.csv"));
            SweepFile sweep = ResultFiles.ReadSweepJson(Path.Combine(report, experiment, "sweep.json"));
            Assert.Equal(sweep.Trials.Count, trials.Length);
            Assert.Contains(trials, t => t.Status == TrialStatus.Diverged); // the grid reaches the diverging region
            Assert.Contains(trials, t => t.Label == TrialLabel.Converged);
        }
        // A rate per batch size for the run's budget: in the report, in a file, growing with the batch.
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(markdown, @"### A rate per batch size for this budget \(\d+ epochs\)"));
        foreach (string experiment in new[] { "classic", "digits" })
        {
            string json = File.ReadAllText(Path.Combine(report, experiment, "budgeted-rates.json"));
            var rates = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("rates").EnumerateArray()
                .Select(r => (Batch: r.GetProperty("batchSize").GetInt32(), Rate: r.GetProperty("ruleLearningRate").GetSingle(),
                    Checked: r.GetProperty("learningRate").GetSingle())).ToArray();
            Assert.True(rates.Length >= 3, json);
            Assert.Equal(rates.OrderBy(r => r.Batch), rates.OrderBy(r => r.Rate)); // the rule's rates grow with the batch
            Assert.All(rates, r => Assert.InRange(r.Checked / r.Rate, 0.3f, 3.3f)); // each checked at about 3x either side
            Assert.Contains($"({experiment}/budgeted-rates.json)", markdown);
        }
        // The range test's suggestion per batch size is the budget's rate, with the ramp's beside it where the ramp ran.
        string[] suggestions = [.. output.Split('\n').Where(l => l.Contains("range test, batch ") && l.Contains("for this budget ("))];
        Assert.Equal(5 + 6, suggestions.Length); // classic's and digits' batch sizes
        Assert.Equal(2 * 3, suggestions.Count(l => l.Contains("the 300-step ramp's ")));

        // The classic grid runs every trial to the end; the digits grid uses successive halving.
        Assert.DoesNotContain(ResultFiles.ReadTrialsCsv(Path.Combine(report, "classic", "trials.csv")), t => t.Status == TrialStatus.Stopped);
        Assert.Contains(ResultFiles.ReadTrialsCsv(Path.Combine(report, "digits", "trials.csv")), t => t.Status == TrialStatus.Stopped);

        // The noise falls with the batch size: the measured variance slope is close to -1 in both experiments.
        foreach (string line in output.Split('\n').Where(l => l.Contains("gradient variance vs batch size: slope")))
        {
            double slope = double.Parse(line.Split("slope ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(slope, -1.25, -0.75);
        }
    }

    [Fact]
    public void Sub_commands_run_one_part_on_a_csv_file()
    {
        string csv = Path.Combine(folder, "line.csv");
        var random = new Random(3);
        File.WriteAllLines(csv, new[] { "x,y" }.Concat(Enumerable.Range(0, 300).Select(i =>
        {
            double x = random.NextDouble();
            return FormattableString.Invariant($"{x},{3 * x + 2 + random.NextDouble()}");
        })));
        string outFolder = Path.Combine(folder, "csv-report");
        (int exit, string output, string error) = Run("sweep", "--data", csv, "--target", "y", "--task", "regression", "--model", "classic",
            "--batch-sizes", "4,16", "--lr-min", "0.01", "--lr-max", "1", "--lr-count", "3", "--budget-samples", "2000", "--rungs", "1", "--out", outFolder);
        Assert.True(exit == 0, error);
        Assert.Contains("line: Recommended", output);
        Assert.Equal(6, ResultFiles.ReadTrialsCsv(Path.Combine(outFolder, "line", "trials.csv")).Length);
        Assert.False(File.Exists(Path.Combine(outFolder, "line", "range-test.json"))); // only the sweep ran

        (exit, _, error) = Run("noise", "--data", csv, "--target", "y", "--task", "regression", "--model", "classic", "--batch-sizes", "4,16,64",
            "--budget-steps", "100", "--out", outFolder);
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(Path.Combine(outFolder, "line", "noise-scale.png")));
    }

    [Fact]
    public void Sweep_with_roll_backs_reports_where_trials_went_back()
    {
        string outFolder = Path.Combine(folder, "roll-backs");
        (int exit, string output, string error) = Run("sweep", "--lr-min", "0.01", "--lr-max", "3", "--lr-count", "4", "--batch-sizes", "1,10",
            "--rungs", "1", "--roll-backs", "4", "--out", outFolder);
        Assert.True(exit == 0, error);
        TrialResult[] classic = ResultFiles.ReadTrialsCsv(Path.Combine(outFolder, "classic", "trials.csv"));
        Assert.DoesNotContain(classic, t => t.Status == TrialStatus.Diverged); // rate 3 diverges without roll-backs (the default run shows it)
        string markdown = File.ReadAllText(Path.Combine(outFolder, "report.md"));
        Assert.Matches(@"Rolled back \(diverged, went back to the last evaluation and on at half the rate; counted as diverged at their own rate\): learning rate 3, batch 1: at step \d+ back to step \d+, on at 1\.5", markdown);
        Assert.Contains("rolled back x", markdown);
        SweepFile json = ResultFiles.ReadSweepJson(Path.Combine(outFolder, "classic", "sweep.json"));
        TrialResult three = json.Trials.First(t => t.LearningRate == 3f && t.BatchSize == 1);
        Assert.True(three.RolledBack);
        Assert.Equal(1.5f, three.RollBacks![0].LearningRate);
        Assert.Contains("classic: Recommended", output);
    }

    [Fact]
    public void Fashion_mnist_is_one_option_away_with_its_grid()
    {
        // The grid's rates and batch sizes by default (6 x 6, one epoch); cut to a few steps here.
        string outFolder = Path.Combine(folder, "fashion");
        (int exit, string output, string error) = Run("sweep", "--dataset", "fashion-mnist", "--budget-samples", "4096", "--batch-sizes", "32,512",
            "--lr-min", "0.01", "--lr-max", "0.3", "--lr-count", "2", "--rungs", "1", "--evaluations", "2", "--out", outFolder);
        Assert.True(exit == 0, error);
        Assert.Contains("fashion-mnist: Recommended: learning rate", output);
        string markdown = File.ReadAllText(Path.Combine(outFolder, "report.md"));
        Assert.Contains("Data: Fashion-MNIST (60,000 training images, the 10,000 test images for validation, pixels / 255). Model: HpcSgd.Cli.Explorer.FashionMlp (784 -> 128 ReLU -> 10, SoftmaxCrossEntropy)", markdown);
        TrialResult[] trials = ResultFiles.ReadTrialsCsv(Path.Combine(outFolder, "fashion-mnist", "trials.csv"));
        Assert.Equal(4, trials.Length);
        Assert.All(trials, t => Assert.Equal(4096, t.SamplesSeen));
        Assert.Contains(trials, t => t.FinalAccuracy > 0.5); // better than chance (0.1) after 4,096 samples

        (exit, _, error) = Run("sweep", "--dataset", "fashion-mnist", "--dataset-dir", Path.Combine(folder, "nowhere"), "--out", outFolder);
        Assert.NotEqual(0, exit);
        Assert.Contains("nowhere/train-images-idx3-ubyte(.gz)' not found; install it with 'apt-get install dataset-fashion-mnist' or pass its folder.", error);
    }

    [Fact]
    public void Out_naming_a_file_is_refused_as_such()
    {
        string file = Path.Combine(folder, "not-a-folder");
        File.WriteAllText(file, "keep me");
        (int exit, _, string error) = Run("sweep", "--out", file);
        Assert.NotEqual(0, exit);
        Assert.Equal($"hpcsgd: --out {file} is a file; give a folder for the report (report.md, charts and data files go into it).", error.TrimEnd('\n'));
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void Help_documents_the_sub_commands_and_options()
    {
        (int exit, string output, _) = Run("--help");
        Assert.Equal(0, exit);
        foreach (string word in new[] { "sweep", "range-test", "noise", "train", "--data", "--target", "--model", "--lr-min", "--batch-sizes", "--budget-samples", "--rungs", "--threads", "--out" })
        {
            Assert.Contains(word, output);
        }
    }

    [Theory]
    [InlineData(new[] { "--data", "/nonexistent/file.csv", "--target", "y", "--model", "classic" }, "hpcsgd: /nonexistent/file.csv: no such file.")]
    [InlineData(new[] { "--data", "x.csv" }, "hpcsgd: --data x.csv needs --target, the name of the column to predict.")]
    [InlineData(new[] { "--target", "y" }, "hpcsgd: --target, --model, --hidden and --exclude go with --data (the default run uses its own data and models).")]
    [InlineData(new[] { "--data", "x.csv", "--target", "y", "--model", "classic", "--hidden", "8" }, "hpcsgd: --model classic has its own layers and takes numeric columns only;")]
    [InlineData(new[] { "--data", "x.csv", "--target", "y", "--hidden", "8,0" }, "hpcsgd: --hidden has '0'; give layer widths from 1 to 65536, comma separated (e.g. 64,32).")]
    [InlineData(new[] { "--data", "/tmp", "--target", "y" }, "hpcsgd: --data /tmp is a folder; give a CSV file.")]
    [InlineData(new[] { "--missing", "zero" }, "hpcsgd: Argument 'zero' not recognized. Must be one of:")]
    [InlineData(new[] { "--batch-sizes", "4,x" }, "hpcsgd: --batch-sizes has 'x'; give whole numbers of at least 1, comma separated (e.g. 8,32,128).")]
    [InlineData(new[] { "--budget-samples", "100", "--budget-steps", "10" }, "hpcsgd: give one budget: --budget-samples, --budget-steps or --budget-seconds.")]
    [InlineData(new[] { "--lr-min", "1", "--lr-max", "0.1" }, "hpcsgd: --lr-min 1 and --lr-max 0.1: the learning-rate range needs 0 < min < max.")]
    [InlineData(new[] { "--rungs", "0" }, "hpcsgd: --rungs is 0; use 1 (no early stopping) or more.")]
    [InlineData(new[] { "--threads", "0" }, "hpcsgd: --threads is 0; it must be at least 1.")]
    [InlineData(new[] { "sweep", "--roll-backs", "-1" }, "hpcsgd: --roll-backs is -1; it must be at least 0.")]
    [InlineData(new[] { "--dataset", "mnist" }, "hpcsgd: --dataset is 'mnist'; the data sets hpcsgd knows are fashion-mnist.")]
    [InlineData(new[] { "--dataset", "fashion-mnist", "--model", "classic" }, "hpcsgd: --dataset fashion-mnist brings its own data and model; leave out --data, --model, --hidden and --exclude.")]
    [InlineData(new[] { "--dataset-dir", "/tmp" }, "hpcsgd: --dataset-dir goes with --dataset.")]
    [InlineData(new[] { "sweep", "--batch-sizes", "500" }, "hpcsgd: --batch-sizes has 500; batch sizes must be from 1 to the 100 training samples.")]
    [InlineData(new[] { "--task", "clustering" }, "hpcsgd: Argument 'clustering' not recognized. Must be one of:")]
    public void Bad_input_is_one_line_and_a_non_zero_exit(string[] args, string expected)
    {
        (int exit, _, string error) = Run([.. args, "--out", Path.Combine(Path.GetTempPath(), "hpcsgd-never-written")]);
        Assert.NotEqual(0, exit);
        Assert.StartsWith(expected, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Any_table_runs_from_data_and_target_alone_with_a_model_compiled_for_it()
    {
        // Three classes from two numeric columns and a text column; a missing cell, filled by --missing mean.
        string csv = Path.Combine(folder, "shapes.csv");
        var random = new Random(4);
        string[] colours = ["red", "green", "blue"];
        File.WriteAllLines(csv, new[] { "id,width,height,colour,kind" }.Concat(Enumerable.Range(0, 240).Select(i =>
        {
            double w = random.NextDouble(), h = random.NextDouble();
            string colour = colours[random.Next(3)];
            string kind = w + h < 0.8 ? "small" : colour == "red" ? "red-large" : "large";
            return FormattableString.Invariant($"{i},{(i == 17 ? "" : w.ToString(System.Globalization.CultureInfo.InvariantCulture))},{h},{colour},{kind}");
        })));
        string cache = Path.Combine(folder, "models");
        string outFolder = Path.Combine(folder, "shapes-report");
        string[] args = ["--data", csv, "--target", "kind", "--exclude", "id", "--missing", "mean", "--hidden", "8", "--model-cache", cache,
            "--batch-sizes", "8,32", "--lr-count", "3", "--budget-samples", "3000", "--range-seeds", "1", "--noise-draws", "20", "--out", outFolder];
        (int exit, string output, string error) = Run(args);
        Assert.True(exit == 0, error);
        Assert.Contains("shapes: Recommended: learning rate", output);
        string markdown = File.ReadAllText(Path.Combine(outFolder, "report.md"));
        Assert.Contains("Model: ShapesModel (5 -> 8 ReLU -> 3, SoftmaxCrossEntropy)", markdown);
        Assert.Contains("- Task: classification, because the target column 'kind' holds text labels (3 distinct", markdown);
        Assert.Contains("- Classes (index: label): 0: large, 1: red-large, 2: small.", markdown);
        Assert.Contains("- One-hot 'colour': blue, green, red.", markdown);
        Assert.Contains("- Excluded: id.", markdown);
        Assert.Contains("- Missing cells filled in 'width': 1 with", markdown);
        Assert.Contains("- Kernels: generated and compiled now in", markdown);
        Assert.Contains("[HpcSgd.Dense(5, 8, Activation = HpcSgd.Activation.ReLU)]\n[HpcSgd.Dense(8, 3)]\npublic partial class ShapesModel { }", markdown);
        Assert.Matches(@"\[HpcSgd\.SgdModel\(HpcSgd\.Loss\.SoftmaxCrossEntropy, BatchSizes = \[(8|32)\]\)\]", markdown);
        Assert.Single(Directory.GetFiles(cache, "*.hpcsgd-model"));

        (exit, _, error) = Run(args);
        Assert.True(exit == 0, error);
        Assert.Contains("- Kernels: from the model cache in", File.ReadAllText(Path.Combine(outFolder, "report.md")));
    }

    [Fact]
    public void A_regression_table_reports_its_loss_in_the_targets_units_too()
    {
        string csv = Path.Combine(folder, "prices.csv");
        var random = new Random(5);
        File.WriteAllLines(csv, new[] { "size,price" }.Concat(Enumerable.Range(0, 200).Select(i =>
        {
            double size = 50 + random.NextDouble() * 100;
            return FormattableString.Invariant($"{size:F2},{1000 * size + 20000 * random.NextDouble():F2}");
        })));
        string outFolder = Path.Combine(folder, "prices-report");
        (int exit, _, string error) = Run("sweep", "--data", csv, "--target", "price", "--model-cache", Path.Combine(folder, "models"),
            "--batch-sizes", "8", "--lr-count", "3", "--budget-samples", "4000", "--out", outFolder);
        Assert.True(exit == 0, error);
        string markdown = File.ReadAllText(Path.Combine(outFolder, "report.md"));
        Assert.Contains("- Task: regression, because the target column 'price' holds numbers with fractions (200 distinct).", markdown);
        System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(markdown,
            @"In the target's own units: the recommended pair's validation loss ([0-9.eE+-]+) \(standardised\) is a mean squared error of ([0-9.eE+-]+) \(root: ([0-9.eE+-]+)\)");
        Assert.True(m.Success, markdown);
        double standardised = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        double mse = double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        System.Text.RegularExpressions.Match scale = System.Text.RegularExpressions.Regex.Match(markdown, @"\(multiply by ([0-9.eE+-]+) for its own units\)");
        Assert.True(scale.Success);
        Assert.Equal(standardised * double.Parse(scale.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), mse, mse * 1e-3);
    }

    [Fact]
    public void A_table_with_a_missing_cell_is_refused_at_its_line_and_column_unless_told_what_to_do()
    {
        string csv = Path.Combine(folder, "gaps.csv");
        File.WriteAllText(csv, "a,b,y\n1,2,0.5\n3,,1.5\n5,6,2.5\n");
        (int exit, _, string error) = Run("--data", csv, "--target", "y", "--out", Path.Combine(folder, "never"));
        Assert.Equal(1, exit);
        Assert.Equal($"hpcsgd: {csv}:3:2: missing value in column 'b'; fill it in, or use --missing drop (leave out such rows) or --missing mean (fill with the column's mean or most common value).", error.TrimEnd('\n'));
    }

    [Fact]
    public void Csv_files_that_do_not_fit_the_model_or_are_malformed_are_named()
    {
        string wide = Path.Combine(folder, "wide.csv");
        File.WriteAllText(wide, "a,b,y\n1,2,3\n4,5,6\n");
        (int exit, _, string error) = Run("--data", wide, "--target", "y", "--task", "regression", "--model", "classic");
        Assert.Equal(1, exit);
        Assert.Equal($"hpcsgd: {wide}: 2 feature columns, but --model classic takes 1 inputs (1 input -> 1 output, linear regression (the classic y = 3x + 2 example)); models compiled into hpcsgd: classic, digits-softmax, digits-mlp, fashion-mlp.", error.TrimEnd('\n'));

        string broken = Path.Combine(folder, "broken.csv");
        File.WriteAllText(broken, "x,y\n1,2\n3,oops\n");
        (exit, _, error) = Run("--data", broken, "--target", "y", "--task", "regression", "--model", "classic");
        Assert.Equal(1, exit);
        Assert.Equal($"hpcsgd: {broken}:3:2: expected a finite number in column 'y', found 'oops'.", error.TrimEnd('\n'));

        (exit, _, error) = Run("--data", broken, "--target", "y", "--task", "classification", "--model", "classic");
        Assert.Contains("--model classic is a regression model but --task is classification", error);
    }
}
