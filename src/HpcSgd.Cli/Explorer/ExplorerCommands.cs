using System.CommandLine;
using System.Globalization;
using HpcSgd.Data;
using HpcSgd.Tuning;
using Spectre.Console;

namespace HpcSgd.Cli.Explorer;

/// <summary>The explorer's options, created afresh for each command that runs it (root, sweep, range-test, noise).</summary>
internal sealed class ExplorerCommands
{
    private readonly Option<string?> data = new("--data") { Description = "CSV file with a header line (default: the embedded classic example and digits)." };
    private readonly Tables.TableCommandOptions table = new();
    private readonly Option<string?> model = new("--model") { Description = $"A model compiled into hpcsgd to train on --data ({ModelCatalog.Names}); by default a model for the table is compiled at run time." };
    private readonly Option<int> samples = new("--samples") { Description = "Training samples of the classic example (default run).", DefaultValueFactory = _ => 100 };
    private readonly Option<float?> lrMin = new("--lr-min") { Description = "Smallest learning rate of the grid." };
    private readonly Option<float?> lrMax = new("--lr-max") { Description = "Largest learning rate of the grid." };
    private readonly Option<int?> lrCount = new("--lr-count") { Description = "Learning rates in the grid, log-spaced." };
    private readonly Option<string?> batchSizes = new("--batch-sizes") { Description = "Batch sizes of the grid, comma separated, e.g. 8,32,128." };
    private readonly Option<long?> budgetSamples = new("--budget-samples") { Description = "Budget per trial in samples seen (the fair comparison across batch sizes)." };
    private readonly Option<int?> budgetSteps = new("--budget-steps") { Description = "Budget per trial in steps." };
    private readonly Option<double?> budgetSeconds = new("--budget-seconds") { Description = "Budget per trial in seconds of training (not reproducible)." };
    private readonly Option<int?> rungs = new("--rungs") { Description = "Successive-halving rungs (1: every trial runs to the end)." };
    private readonly Option<int?> finalists = new("--finalists") { Description = "The best trials trained again from two more seeds each, then the best of them at rates half a grid step either side; the pair with the best mean over its three seeds is recommended (default 5; 0 for fashion-mnist, whose 10,000 validation images rank one seed reliably; 0: the best single trial)." };
    private readonly Option<int> threads = new("--threads") { Description = "Trials run at once, one per thread.", DefaultValueFactory = _ => Environment.ProcessorCount };
    private readonly Option<string?> dataset = new("--dataset") { Description = "A data set instead of the default run: fashion-mnist (Debian's dataset-fashion-mnist; MLP 784-128-10, the 6 x 6 grid of rates 0.001..0.3 and batches 1..2048, one epoch per trial)." };
    private readonly Option<string?> datasetDir = new("--dataset-dir") { Description = "Folder of the --dataset files (default: where Debian's package puts them)." };
    private readonly Option<int> rollBacks = new("--roll-backs") { Description = "On divergence a trial goes back to its last evaluation with the rate halved, up to this many times, instead of ending.", DefaultValueFactory = _ => 0 };
    private readonly Option<int> evaluations = new("--evaluations") { Description = "Validation-loss measurements per trial.", DefaultValueFactory = _ => 20 };
    private readonly Option<int> rangeSeeds = new("--range-seeds") { Description = "Seeds per batch size in the range test.", DefaultValueFactory = _ => 5 };
    private readonly Option<int> noiseDraws = new("--noise-draws") { Description = "Mini-batches drawn per batch size for the gradient noise.", DefaultValueFactory = _ => 200 };
    private readonly Option<ulong> seed = new("--seed") { Description = "Seed of the initial parameters, split and sampling.", DefaultValueFactory = _ => 1 };
    private readonly Option<bool> resume = new("--resume") { Description = "Continue the sweep whose journal is in the --out folder: trials it holds are not run again." };
    private readonly Option<string?> shard = new("--shard") { Description = "Run one shard of the sweep: I/N (0-based), or N with the index from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (Slurm array); 'hpcsgd merge' then writes the report." };
    private readonly Option<string> output = new("--out", "-o") { Description = "Folder for the report, data files and charts.", DefaultValueFactory = _ => "hpcsgd-report" };

    private ExplorerCommands()
    {
    }

    /// <summary>Adds the explorer options to <paramref name="command"/> and makes it run <paramref name="parts"/>.</summary>
    public static void Attach(Command command, ExplorerParts parts, TextWriter outputWriter, Func<Exception, int> fail)
    {
        var o = new ExplorerCommands();
        foreach (Option option in new Option[]
        {
            o.data, o.dataset, o.datasetDir, o.model, o.samples, o.lrMin, o.lrMax, o.lrCount, o.batchSizes, o.budgetSamples,
            o.budgetSteps, o.budgetSeconds, o.rungs, o.finalists, o.rollBacks, o.threads, o.evaluations, o.rangeSeeds, o.noiseDraws, o.seed, o.output, o.resume, o.shard,
        })
        {
            command.Options.Add(option);
        }
        foreach (Option option in o.table.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(result =>
        {
            // Ctrl+C stops the sweep at the trials' next step; finished parts keep their files.
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            bool console = ReferenceEquals(outputWriter, System.Console.Out);
            if (console)
            {
                System.Console.CancelKeyPress += onCancel;
            }
            try
            {
                ExplorerSettings settings = o.Read(result, parts);
                var experiments = Experiments(settings);
                return ExplorerJob.Run(settings, experiments, Console(outputWriter), cancel.Token);
            }
            catch (OperationCanceledException)
            {
                fail(new OperationCanceledException("cancelled; the files and charts of the parts that finished are in the report folder, and the sweep's finished trials in its journal: run the same command with --resume to go on."));
                return 130;
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or FormatException
                or HpcSgd.Compiler.ModelCompilationException or PlatformNotSupportedException)
            {
                return fail(e);
            }
            finally
            {
                if (console)
                {
                    System.Console.CancelKeyPress -= onCancel;
                }
            }
        });
    }

    /// <summary>A Spectre console on <paramref name="writer"/>: live and coloured on a terminal, plain text elsewhere.</summary>
    private static IAnsiConsole Console(TextWriter writer)
    {
        bool terminal = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = 160; // logs and files: no terminal width to respect, so do not wrap tables at 80
        }
        return console;
    }

    private ExplorerSettings Read(ParseResult r, ExplorerParts parts)
    {
        int budgets = (r.GetValue(budgetSamples) is null ? 0 : 1) + (r.GetValue(budgetSteps) is null ? 0 : 1) + (r.GetValue(budgetSeconds) is null ? 0 : 1);
        if (budgets > 1)
        {
            throw new ArgumentException("give one budget: --budget-samples, --budget-steps or --budget-seconds.", "budget");
        }
        TrainingBudget? budget = null;
        if (r.GetValue(budgetSamples) is long s)
        {
            budget = s > 0 ? TrainingBudget.Samples(s) : throw new ArgumentException($"--budget-samples is {s}; it must be at least 1.", "budget-samples");
        }
        if (r.GetValue(budgetSteps) is int st)
        {
            budget = st > 0 ? TrainingBudget.Steps(st) : throw new ArgumentException($"--budget-steps is {st}; it must be at least 1.", "budget-steps");
        }
        if (r.GetValue(budgetSeconds) is double sec)
        {
            budget = sec > 0 && double.IsFinite(sec) ? TrainingBudget.WallTime(TimeSpan.FromSeconds(sec))
                : throw new ArgumentException($"--budget-seconds is {sec}; it must be positive.", "budget-seconds");
        }
        int threadCount = r.GetValue(threads);
        if (threadCount < 1)
        {
            throw new ArgumentException($"--threads is {threadCount}; it must be at least 1.", "threads");
        }
        Positive(r.GetValue(evaluations), "--evaluations", 2);
        Positive(r.GetValue(rollBacks), "--roll-backs", 0);
        Positive(r.GetValue(rangeSeeds), "--range-seeds", 1);
        Positive(r.GetValue(noiseDraws), "--noise-draws", 2);
        string? path = r.GetValue(data);
        bool tableOptions = table.ShapesTheModel(r);
        string outFolder = r.GetValue(output)!;
        if (File.Exists(outFolder))
        {
            throw new ArgumentException($"--out {outFolder} is a file; give a folder for the report (report.md, charts and data files go into it).", "out");
        }
        string? datasetName = r.GetValue(dataset);
        if (datasetName is not null && datasetName != ModelCatalog.Datasets)
        {
            throw new ArgumentException($"--dataset is '{datasetName}'; the data sets hpcsgd knows are {ModelCatalog.Datasets}.", "dataset");
        }
        if (datasetName is not null && (path is not null || r.GetValue(model) is not null || tableOptions))
        {
            throw new ArgumentException($"--dataset {datasetName} brings its own data and model; leave out --data, --model, --hidden and --exclude.", "dataset");
        }
        if (r.GetValue(datasetDir) is not null && datasetName is null)
        {
            throw new ArgumentException("--dataset-dir goes with --dataset.", "dataset-dir");
        }
        if (path is null && (r.GetValue(table.Target) is not null || r.GetValue(model) is not null || tableOptions))
        {
            throw new ArgumentException("--target, --model, --hidden and --exclude go with --data (the default run uses its own data and models).", "data");
        }
        if (path is not null && r.GetValue(table.Target) is null)
        {
            throw new ArgumentException($"--data {path} needs --target, the name of the column to predict.", "target");
        }
        if (r.GetValue(model) is not null && tableOptions)
        {
            throw new ArgumentException($"--model {r.GetValue(model)} has its own layers and takes numeric columns only; --hidden and --exclude shape the model compiled for the table (leave out --model).", "model");
        }
        SweepShard? shardChoice = r.GetValue(shard) is { } shardText ? ParseShard(shardText, Environment.GetEnvironmentVariable) : null;
        if (shardChoice is not null && parts != ExplorerParts.Sweep)
        {
            throw new ArgumentException("--shard splits the sweep's trials: use it with 'hpcsgd sweep'.", "shard");
        }
        return new ExplorerSettings(parts,
            new DataChoice(path, r.GetValue(table.Target), r.GetValue(table.Task), r.GetValue(model), r.GetValue(table.Validation), r.GetValue(samples),
                table.Table(r), table.Model(r), datasetName, r.GetValue(datasetDir)),
            r.GetValue(lrMin), r.GetValue(lrMax), r.GetValue(lrCount), ParseBatchSizes(r.GetValue(batchSizes)), budget, r.GetValue(rungs),
            threadCount, r.GetValue(evaluations), r.GetValue(rangeSeeds), r.GetValue(noiseDraws), r.GetValue(seed), r.GetValue(output)!,
            r.GetValue(rollBacks), r.GetValue(resume), shardChoice, [.. r.Tokens.Select(t => t.Value)], r.GetValue(finalists));
    }

    /// <summary>
    /// "I/N"; or "N", the index then coming from a scheduler: JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or
    /// SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (a Slurm job array).
    /// </summary>
    internal static SweepShard ParseShard(string text, Func<string, string?> environment)
    {
        static bool Number(string? s, out int value) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        string[] parts = text.Split('/');
        int index, count;
        if (parts.Length == 2 && Number(parts[1], out count))
        {
            if (!Number(parts[0], out index))
            {
                throw new ArgumentException($"--shard is '{text}'; write I/N (shard I of N, from 0), or N to take I from the scheduler.", "shard");
            }
        }
        else if (parts.Length == 1 && Number(parts[0], out count))
        {
            index = SchedulerIndex(environment) ?? throw new ArgumentException(
                $"--shard {text} gives the shard count only, and neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set to give the index; write --shard I/{count}.", "shard");
        }
        else
        {
            throw new ArgumentException($"--shard is '{text}'; write I/N (shard I of N, from 0), or N to take I from the scheduler.", "shard");
        }
        if (count < 1 || index < 0 || index >= count)
        {
            throw new ArgumentException($"--shard {text}: shard {index} of {count} does not exist; the index runs from 0 to {count - 1}.", "shard");
        }
        return new SweepShard(index, count);

        static int? SchedulerIndex(Func<string, string?> environment)
        {
            if (Number(environment("JOB_COMPLETION_INDEX"), out int index))
            {
                return index;
            }
            if (Number(environment("SLURM_ARRAY_TASK_ID"), out int task))
            {
                return task - (Number(environment("SLURM_ARRAY_TASK_MIN"), out int min) ? min : 0);
            }
            return null;
        }
    }

    private static void Positive(int value, string option, int minimum)
    {
        if (value < minimum)
        {
            throw new ArgumentException($"{option} is {value}; it must be at least {minimum}.", option.TrimStart('-'));
        }
    }

    internal static int[]? ParseBatchSizes(string? text)
    {
        if (text is null)
        {
            return null;
        }
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
            {
                throw new ArgumentException($"--batch-sizes has '{parts[i]}'; give whole numbers of at least 1, comma separated (e.g. 8,32,128).", "batch-sizes");
            }
        }
        if (sizes.Distinct().Count() != sizes.Length)
        {
            throw new ArgumentException($"--batch-sizes '{text}' repeats a size.", "batch-sizes");
        }
        return sizes;
    }

    /// <summary>The experiments to run with their default grids: the embedded pair, or the CSV file.</summary>
    private static List<(Experiment, ExperimentPlan)> Experiments(ExplorerSettings s)
    {
        DataChoice d = s.Data;
        if (d.Dataset is not null)
        {
            Experiment fashion = ModelCatalog.FashionMnist(d.DatasetDirectory, initSeed: s.Seed);
            // The 6 x 6 grid of issue #15: rates 0.001..0.3, batch sizes 1..2048, one epoch per trial.
            return [(fashion, new ExperimentPlan(SweepOptions.LogSpaced(0.001f, 0.3f, 6), [1, 8, 32, 128, 512, 2048], TrainingBudget.Samples(fashion.TrainingCount), 3))];
        }
        if (d.CsvPath is null)
        {
            Experiment classic = ModelCatalog.Classic(d.ClassicSamples, dataSeed: s.Seed, initSeed: s.Seed + 2);
            CsvTable digitsTable = ModelCatalog.EmbeddedDigits();
            Experiment digits = ModelCatalog.FromTable(digitsTable, "digits-mlp", 0.2, s.Seed, s.Seed, "digits");
            return
            [
                // 10^-3 .. 10^0.5 by half decades: contains the article's 0.01; 10,000 samples = its 1,000 iterations of 10.
                (classic, new ExperimentPlan(SweepOptions.LogSpaced(0.001f, 3.1622777f, 8), [1, 4, 10, 32, 100], TrainingBudget.Samples(10_000), 1, Finalists: 5)),
                (digits, new ExperimentPlan(SweepOptions.LogSpaced(0.001f, 10f, 9), [4, 8, 16, 32, 64, 128], TrainingBudget.Samples(20 * digits.TrainingCount), 3, Finalists: 5)),
            ];
        }
        if (!(d.ValidationFraction > 0 && d.ValidationFraction < 1))
        {
            throw new ArgumentException($"--validation-fraction is {d.ValidationFraction}; it must be between 0 and 1.", "validation-fraction");
        }
        string name = Path.GetFileNameWithoutExtension(d.CsvPath);
        name = name.Length > 0 ? name : "data";
        if (d.Model is not null)
        {
            CatalogModel catalog = ModelCatalog.Find(d.Model);
            TargetKind kind = d.Task is null ? (catalog.Description.Loss == HpcSgd.Loss.MeanSquaredError ? TargetKind.Regression : TargetKind.Classification)
                : d.Task == "regression" ? TargetKind.Regression : TargetKind.Classification;
            Experiment compiledIn = ModelCatalog.FromTable(CsvTable.Load(d.CsvPath, d.Target!, kind), d.Model, d.ValidationFraction, s.Seed, s.Seed, name);
            return [(compiledIn, TableDefaults(compiledIn.TrainingCount))];
        }
        Tables.PreparedTable table = Tables.PreparedTable.Load(d.CsvPath, d.Table!);
        ExperimentPlan? plan = null;
        Experiment experiment = TableExperiment.Create(table, d.ModelShape!, d.ValidationFraction, s.Seed, name, trainingCount =>
        {
            plan = ExperimentPlan.For(trainingCount, s, TableDefaults(trainingCount));
            return plan.BatchSizes;
        });
        return [(experiment, plan!)];
    }

    /// <summary>The grid for a CSV table: rates 10^-3..10, batch sizes 4..128 up to half the training rows, 10 epochs per trial.</summary>
    private static ExperimentPlan TableDefaults(int trainingCount)
    {
        int[] batches = [.. new[] { 4, 8, 16, 32, 64, 128 }.Where(b => b <= trainingCount / 2)];
        if (batches.Length == 0)
        {
            batches = [1];
        }
        return new ExperimentPlan(SweepOptions.LogSpaced(0.001f, 10f, 9), batches, TrainingBudget.Samples(10L * trainingCount), 3, Finalists: 5);
    }
}
