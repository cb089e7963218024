using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Cli;

/// <summary>The train command's --checkpoint FILE, --checkpoint-every N and --resume.</summary>
internal sealed record CheckpointSettings(string? Path, int Every, bool Resume)
{
    public static CheckpointSettings None { get; } = new(null, 0, false);
}

/// <summary>
/// Runs the train command's training: with a checkpoint file, written every N steps, at the end and on Ctrl+C, and
/// continued with --resume; without one, as <see cref="Trainer.Train"/>. A checkpoint that exists is never overwritten
/// by a new run: it is resumed or refused.
/// </summary>
internal static class CheckpointedTraining
{
    /// <summary>Exit code of a run stopped by Ctrl+C (128 + SIGINT), as the explorer's.</summary>
    public const int CancelledExitCode = 130;

    public static TrainingResult Run<TModel>(Model<TModel> model, Dataset<TModel> data, TrainingOptions options, CheckpointSettings checkpoint, TextWriter output)
        where TModel : ISgdModel<TModel>
    {
        if (checkpoint.Resume && checkpoint.Path is null)
        {
            throw new ArgumentException("--resume needs --checkpoint FILE, the checkpoint to continue.", "resume");
        }
        if (checkpoint.Every < 0)
        {
            throw new ArgumentException($"--checkpoint-every is {checkpoint.Every}; it must be at least 0 (0: only at the end and on Ctrl+C).", "checkpoint-every");
        }
        if (checkpoint.Path is { } path)
        {
            if (Directory.Exists(path))
            {
                throw new ArgumentException($"--checkpoint {path} is a folder; name a file.", "checkpoint");
            }
            if (checkpoint.Resume && !File.Exists(path))
            {
                throw new ArgumentException($"--resume: there is no checkpoint at {path}.", "resume");
            }
            if (!checkpoint.Resume && File.Exists(path))
            {
                throw new ArgumentException($"--checkpoint {path} already exists; pass --resume to continue it, or remove it to start again.", "checkpoint");
            }
            options = options with { CheckpointPath = path, CheckpointInterval = checkpoint.Every };
        }

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        bool console = ReferenceEquals(output, Console.Out);
        if (console)
        {
            Console.CancelKeyPress += onCancel;
        }
        try
        {
            using var session = new TrainingSession<TModel>(model, data, options);
            if (checkpoint.Resume)
            {
                session.RestoreCheckpoint(checkpoint.Path!);
                output.WriteLine($"Resumed from {checkpoint.Path} at step {session.StepsDone} of {session.TotalSteps}.");
            }
            TrainingResult result = session.Run(cancel.Token);
            if (result.Status == TrainingStatus.Cancelled)
            {
                output.WriteLine(checkpoint.Path is null
                    ? $"Cancelled at step {result.Steps}."
                    : $"Cancelled at step {result.Steps}; the checkpoint {checkpoint.Path} holds it: add --resume to continue.");
            }
            return result;
        }
        finally
        {
            if (console)
            {
                Console.CancelKeyPress -= onCancel;
            }
        }
    }

    /// <summary>The train command's exit code: 0 completed, 3 diverged, 130 cancelled.</summary>
    public static int ExitCode(TrainingResult result) => result.Status switch
    {
        TrainingStatus.Completed => 0,
        TrainingStatus.Cancelled => CancelledExitCode,
        _ => 3,
    };
}
