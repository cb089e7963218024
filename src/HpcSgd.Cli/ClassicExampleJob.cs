using System.Globalization;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Cli;

/// <summary>The settings of the main job: the classic example trained by mini-batch SGD.</summary>
internal sealed record ClassicExampleSettings(
    int Samples, ulong DataSeed, float LearningRate, int BatchSize, int? Epochs, int? Steps, float Momentum,
    bool Nesterov, float WeightDecay, string Schedule, int WarmupSteps, BatchSampling Sampling, ulong Seed, int ProgressInterval, string? SavePath);

/// <summary>
/// Trains the one-input linear regression on y = 3x + 2 + U(0, 1) noise, prints progress, then the fitted
/// slope and intercept beside the closed-form least-squares values of the same data.
/// </summary>
internal static class ClassicExampleJob
{
    public static int Run(ClassicExampleSettings settings, CheckpointSettings checkpoint, TextWriter output)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (settings.Samples < 2)
        {
            throw new ArgumentException($"--samples is {settings.Samples}; a line needs at least 2 samples to fit.", "samples");
        }
        (float[] x, float[] y) = ClassicExample.Generate(settings.Samples, settings.DataSeed);
        var data = new Dataset<ClassicRegression>(x, y);
        var model = new Model<ClassicRegression>(settings.Seed);
        TrainingOptions options = Options(settings, output);
        options.Validate(data.Count);

        output.WriteLine($"HpcSgd: the classic example, y = 3x + 2 + U(0,1) noise, {settings.Samples} samples (data seed {settings.DataSeed})");
        output.WriteLine($"Training {nameof(ClassicRegression)}: learning rate {settings.LearningRate:G4}, batch {settings.BatchSize}, " +
            $"{(settings.Momentum > 0 ? $"{(settings.Nesterov ? "Nesterov " : "")}momentum {settings.Momentum:G3}, " : "")}" +
            $"{settings.Schedule} schedule, {options.TotalSteps(data.Count)} steps ({settings.Sampling})");

        TrainingResult result = CheckpointedTraining.Run(model, data, options, checkpoint, output);
        if (result.Status == TrainingStatus.Cancelled)
        {
            return CheckpointedTraining.CancelledExitCode;
        }

        output.WriteLine();
        output.WriteLine(result.Status == TrainingStatus.Diverged
            ? $"Diverged at step {result.DivergedAtStep} (loss {result.FinalLoss:G4}): lower the learning rate."
            : $"{result.Status} after {result.Steps} steps in {result.Elapsed.TotalMilliseconds:F1} ms; final batch loss {result.FinalLoss:F5}, full-data loss {model.EvaluateLoss(data):F5}");

        LayerDescription layer = ClassicRegression.Description.Layers[0];
        float slope = model.Parameters[layer.WeightOffset];
        float intercept = model.Parameters[layer.BiasOffset];
        (double lsSlope, double lsIntercept) = ClassicExample.LeastSquares(x, y);
        output.WriteLine();
        output.WriteLine("                 slope   intercept");
        output.WriteLine($"SGD            {slope,8:F4}   {intercept,8:F4}");
        output.WriteLine($"least squares  {lsSlope,8:F4}   {lsIntercept,8:F4}");
        output.WriteLine($"difference     {slope - lsSlope,8:F4}   {intercept - lsIntercept,8:F4}");

        if (settings.SavePath is { } path)
        {
            model.Save(path);
            output.WriteLine($"Saved the model to {Path.GetFullPath(path)}");
        }
        return CheckpointedTraining.ExitCode(result);
    }

    /// <summary>The training options the train command's options give (shared by the classic example and tables), printing progress to <paramref name="output"/>.</summary>
    public static TrainingOptions Options(ClassicExampleSettings settings, TextWriter output) => new()
    {
        LearningRate = settings.LearningRate,
        BatchSize = settings.BatchSize,
        Epochs = settings.Steps is null ? settings.Epochs : null,
        Steps = settings.Steps,
        Momentum = settings.Momentum,
        Nesterov = settings.Nesterov,
        WeightDecay = settings.WeightDecay,
        Schedule = ParseSchedule(settings.Schedule),
        WarmupSteps = settings.WarmupSteps,
        Sampling = settings.Sampling,
        Seed = settings.Seed,
        ProgressInterval = settings.ProgressInterval,
        Progress = p => output.WriteLine($"step {p.Step,7}  epoch {p.Epoch,8:F1}  loss {p.Loss,9:F5}  learning rate {p.LearningRate:G4}"),
    };

    private static LearningRateSchedule ParseSchedule(string schedule) => schedule switch
    {
        "constant" => LearningRateSchedule.Constant,
        "cosine" => LearningRateSchedule.Cosine(),
        "step" => LearningRateSchedule.StepDecay(1000, 0.5f),
        _ => throw new ArgumentException($"--schedule is '{schedule}'; use constant, cosine or step.", "schedule"),
    };
}
