using System.CommandLine;
using HpcSgd.Cli.Explorer;
using HpcSgd.Training;

namespace HpcSgd.Cli;

/// <summary>
/// The hpcsgd command line. With no arguments it runs the learning-rate x batch-size explorer on the embedded
/// default (the classic example and the digits data); sub-commands run one part of it, or train the classic example.
/// </summary>
public static class Program
{
    /// <summary>Runs the command line against the console.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses <paramref name="args"/> and runs the job; bad input is one line on <paramref name="error"/> and a non-zero exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var samples = new Option<int>("--samples") { Description = "Samples of the classic example to draw.", DefaultValueFactory = _ => 100 };
        var dataSeed = new Option<ulong>("--data-seed") { Description = "Seed of the data.", DefaultValueFactory = _ => 1 };
        var learningRate = new Option<float>("--learning-rate", "--lr") { Description = "Base learning rate.", DefaultValueFactory = _ => 0.1f };
        var batchSize = new Option<int>("--batch-size", "-b") { Description = "Samples per step (kernels are specialized for 1, 10, 32 and 100).", DefaultValueFactory = _ => 10 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the data (ignored when --steps is given).", DefaultValueFactory = _ => 300 };
        var steps = new Option<int?>("--steps") { Description = "Number of updates, instead of --epochs." };
        var momentum = new Option<float>("--momentum") { Description = "Momentum in [0, 1).", DefaultValueFactory = _ => 0.9f };
        var nesterov = new Option<bool>("--nesterov") { Description = "Use Nesterov momentum." };
        var weightDecay = new Option<float>("--weight-decay") { Description = "L2 weight decay." };
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: constant, cosine or step (halve every 1000 steps).", DefaultValueFactory = _ => "cosine" };
        schedule.AcceptOnlyFromAmong("constant", "cosine", "step");
        var warmup = new Option<int>("--warmup-steps") { Description = "Steps of linear warm-up." };
        var sampling = new Option<BatchSampling>("--sampling") { Description = "ShuffledEpochs or RandomBatches.", DefaultValueFactory = _ => BatchSampling.ShuffledEpochs };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial parameters and the batch sampling.", DefaultValueFactory = _ => 1 };
        var progress = new Option<int>("--progress-every") { Description = "Steps between progress lines.", DefaultValueFactory = _ => 300 };
        var save = new Option<string?>("--save") { Description = "Save the trained model to this file." };
        var checkpointPath = new Option<string?>("--checkpoint") { Description = "Write checkpoints to this file (every --checkpoint-every steps, at the end and on Ctrl+C); with --resume, continue from it." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Steps between checkpoints (0: only at the end and on Ctrl+C).", DefaultValueFactory = _ => 1000 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run the --checkpoint file holds, bit for bit as if it had not stopped (same options and data)." };

        var trainData = new Option<string?>("--data") { Description = "CSV file to train on (default: the classic example); with --target, as the explorer reads it." };
        var tableOptions = new Tables.TableCommandOptions();
        var train = new Command("train", "Train with one learning rate and batch size: the classic y = 3x + 2 + noise (compared with least squares), or --data FILE " +
            "--target COLUMN (the model compiled for the table; --save keeps it with its preprocessing for 'hpcsgd predict').")
        {
            samples, dataSeed, learningRate, batchSize, epochs, steps, momentum, nesterov, weightDecay, schedule, warmup, sampling, seed, progress, save, checkpointPath, checkpointEvery, resume, trainData,
        };
        foreach (Option option in tableOptions.All)
        {
            train.Options.Add(option);
        }
        var predictModel = new Option<string>("--model") { Description = "A model file saved by 'hpcsgd train --data ... --save'.", Required = true };
        var predictData = new Option<string>("--data") { Description = "CSV file with the columns the model was trained on (the target column may be absent).", Required = true };
        var predictOut = new Option<string>("--out", "-o") { Description = "CSV file to write: the input line, the prediction, and each class's probability.", Required = true };
        var predictCache = new Option<string?>("--model-cache") { Description = "Folder of compiled models (default: HPCSGD_CACHE, else the user's cache folder)." };
        var predict = new Command("predict", "Predict for the rows of a CSV file with a model saved by 'hpcsgd train --data ... --save'.")
        {
            predictModel, predictData, predictOut, predictCache,
        };
        var mergeFolders = new Argument<string[]>("folders") { Description = "Folders of the shards' 'hpcsgd sweep --shard' runs (--out), or one folder they shared.", Arity = ArgumentArity.OneOrMore };
        var mergeOut = new Option<string?>("--out", "-o") { Description = "Folder for the merged report (default: the first folder)." };
        var merge = new Command("merge", "Merge the journals of a sharded sweep ('hpcsgd sweep --shard') into the report a single run writes.")
        {
            mergeFolders, mergeOut,
        };
        var root = new RootCommand("HpcSgd: mini-batch SGD with kernels generated for your model's shapes. With no arguments: which learning rate " +
            "and batch size? A sweep (with successive halving), a learning-rate range test and gradient-noise measurements on the classic " +
            "y = 3x + 2 example and the digits data, written as a report with charts.");
        int Fail(Exception e)
        {
            error.WriteLine($"hpcsgd: {FirstLine(e.Message)}");
            return 1;
        }
        ExplorerCommands.Attach(root, ExplorerParts.All, output, Fail);
        var sweepCommand = new Command("sweep", "Only the learning-rate x batch-size sweep.");
        var rangeCommand = new Command("range-test", "Only the learning-rate range test, over seeds and batch sizes.");
        var noiseCommand = new Command("noise", "Only the gradient variance vs batch size and the noise scale over training.");
        ExplorerCommands.Attach(sweepCommand, ExplorerParts.Sweep, output, Fail);
        ExplorerCommands.Attach(rangeCommand, ExplorerParts.RangeTest, output, Fail);
        ExplorerCommands.Attach(noiseCommand, ExplorerParts.Noise, output, Fail);
        root.Subcommands.Add(sweepCommand);
        root.Subcommands.Add(rangeCommand);
        root.Subcommands.Add(noiseCommand);
        root.Subcommands.Add(train);
        root.Subcommands.Add(predict);
        root.Subcommands.Add(merge);

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine($"hpcsgd: {OneLine(parsed.Errors[0].Message)} (see hpcsgd --help)");
            return 2;
        }
        train.SetAction(result =>
        {
            try
            {
                var checkpoint = new CheckpointSettings(result.GetValue(checkpointPath), result.GetValue(checkpointEvery), result.GetValue(resume));
                if (result.GetValue(trainData) is { } path)
                {
                    if (result.GetValue(tableOptions.Target) is null)
                    {
                        throw new ArgumentException($"--data {path} needs --target, the name of the column to predict.", "target");
                    }
                    var options = ClassicExampleJob.Options(new ClassicExampleSettings(
                        0, 0, result.GetValue(learningRate), result.GetValue(batchSize),
                        result.GetResult(epochs) is { Implicit: false } ? result.GetValue(epochs) : 20, result.GetValue(steps), result.GetValue(momentum),
                        result.GetValue(nesterov), result.GetValue(weightDecay), result.GetValue(schedule)!, result.GetValue(warmup), result.GetValue(sampling),
                        result.GetValue(seed), result.GetValue(progress), null), output);
                    return TableJobs.Train(path, tableOptions.Table(result), tableOptions.Model(result), tableOptions.ValidationFraction(result), options,
                        result.GetValue(save), checkpoint, output);
                }
                return ClassicExampleJob.Run(new ClassicExampleSettings(
                    result.GetValue(samples), result.GetValue(dataSeed), result.GetValue(learningRate), result.GetValue(batchSize),
                    result.GetValue(epochs), result.GetValue(steps), result.GetValue(momentum), result.GetValue(nesterov),
                    result.GetValue(weightDecay), result.GetValue(schedule)!, result.GetValue(warmup), result.GetValue(sampling),
                    result.GetValue(seed), result.GetValue(progress), result.GetValue(save)), checkpoint, output);
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or FormatException
                or Compiler.ModelCompilationException or PlatformNotSupportedException)
            {
                return Fail(e);
            }
        });
        predict.SetAction(result =>
        {
            try
            {
                return TableJobs.Predict(result.GetValue(predictModel)!, result.GetValue(predictData)!, result.GetValue(predictOut)!, result.GetValue(predictCache), output, error);
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or FormatException
                or Compiler.ModelCompilationException or PlatformNotSupportedException)
            {
                return Fail(e);
            }
        });
        merge.SetAction(result =>
        {
            string[] command;
            try
            {
                command = Explorer.SweepJournals.Gather(result.GetValue(mergeFolders)!, result.GetValue(mergeOut));
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                return Fail(e);
            }
            output.WriteLine($"hpcsgd {string.Join(' ', command)}");
            return Run(command, output, error);
        });
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>A parser message on one line: System.CommandLine lists allowed values on lines of their own.</summary>
    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>The message's first line without .NET's " (Parameter 'x')" suffix: the message already names what is wrong.</summary>
    private static string FirstLine(string message)
    {
        string line = message.Split('\n')[0].TrimEnd();
        int suffix = line.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return suffix > 0 ? line[..suffix] : line;
    }
}
