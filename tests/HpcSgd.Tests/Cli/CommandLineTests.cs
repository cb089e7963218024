using System.Globalization;
using HpcSgd.Cli;
using HpcSgd.Models;

namespace HpcSgd.Tests.Cli;

/// <summary>The main job as the README runs it, and its answers to bad input.</summary>
public class CommandLineTests
{
    private static (int Exit, string Output, string Error) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void Train_FitsTheClassicExampleToLeastSquares()
    {
        (int exit, string output, string error) = Run("train");

        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Contains("Completed after 3000 steps", output);
        Assert.Contains("step    3000", output);
        string[] difference = output.Split('\n').Single(l => l.StartsWith("difference", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(Math.Abs(double.Parse(difference[1], CultureInfo.InvariantCulture)), 0, 0.02);
        Assert.InRange(Math.Abs(double.Parse(difference[2], CultureInfo.InvariantCulture)), 0, 0.02);
    }

    [Fact]
    public void TrainHelp_ListsTheOptions()
    {
        (int exit, string output, _) = Run("train", "--help");
        Assert.Equal(0, exit);
        foreach (string option in new[] { "--learning-rate", "--batch-size", "--epochs", "--steps", "--momentum", "--nesterov", "--weight-decay", "--schedule", "--warmup-steps", "--sampling", "--seed", "--save" })
        {
            Assert.Contains(option, output);
        }
    }

    [Theory]
    [InlineData(new[] { "train", "--bogus" }, 2, "hpcsgd: Unrecognized command or argument '--bogus'. (see hpcsgd --help)")]
    [InlineData(new[] { "train", "--batch-size", "ten" }, 2, "hpcsgd: Cannot parse argument 'ten' for option '--batch-size' as expected type 'System.Int32'. (see hpcsgd --help)")]
    [InlineData(new[] { "train", "--lr", "-1" }, 1, "hpcsgd: TrainingOptions.LearningRate is -1; it must be finite and greater than 0.")]
    [InlineData(new[] { "train", "--batch-size", "500" }, 1, "hpcsgd: TrainingOptions.BatchSize is 500; it is larger than the training set (100 samples).")]
    [InlineData(new[] { "train", "--momentum", "1.5" }, 1, "hpcsgd: TrainingOptions.Momentum is 1.5; it must be in [0, 1).")]
    [InlineData(new[] { "train", "--samples", "0" }, 1, "hpcsgd: --samples is 0; a line needs at least 2 samples to fit.")]
    public void BadInput_IsOneLineAndANonZeroExit(string[] args, int expectedExit, string expectedError)
    {
        (int exit, string output, string error) = Run(args);

        Assert.Equal(expectedExit, exit);
        Assert.Equal(expectedError, error.TrimEnd('\n'));
        Assert.DoesNotContain('\n', error.TrimEnd('\n'));
    }

    [Fact]
    public void Divergence_IsReportedWithTheStepAndExitCode3()
    {
        (int exit, string output, _) = Run("train", "--lr", "100", "--momentum", "0");
        Assert.Equal(3, exit);
        Assert.Contains("Diverged at step", output);
    }

    [Fact]
    public void Save_WritesALoadableModel()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("hpcsgd-cli-").FullName, "classic.hpcsgd");
        (int exit, _, _) = Run("train", "--epochs", "20", "--save", path);

        Assert.Equal(0, exit);
        Model<ClassicRegression> loaded = Model<ClassicRegression>.Load(path);
        Assert.InRange(loaded.Parameters[0], 2f, 4f);
    }
}
