using HpcSgd.Cli.Explorer;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tuning;
using Spectre.Console;

namespace HpcSgd.Tests.Cli;

/// <summary>The live progress display, driven as on a terminal (interactive, ANSI) and as in a log.</summary>
public class ProgressDisplayTests
{
    private static SweepResult Sweep(SweepMonitor monitor)
    {
        (float[] x, float[] y) = ClassicExample.Generate(count: 100, seed: 1);
        (float[] vx, float[] vy) = ClassicExample.Generate(count: 200, seed: 2);
        return LearningRateSweep.Run(new Model<SeedRegression>(seed: 3).Parameters, new Dataset<SeedRegression>(x, y), new Dataset<SeedRegression>(vx, vy),
            new SweepOptions { LearningRates = [0.01f, 0.1f, 5f], BatchSizes = [10, 64], Budget = TrainingBudget.Samples(200_000), Rungs = 2, Threads = 2 }, monitor);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Shows_trials_done_diverged_and_the_best_so_far(bool terminal)
    {
        var text = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = terminal ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.TrueColor : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        console.Profile.Width = 200;
        SweepResult result = ProgressDisplay.Run(console, "classic sweep", Sweep);
        string shown = text.ToString();
        Assert.Equal(6, result.Trials.Count);
        Assert.Contains("sweep done: 6/6 trials done, 0 running, 2 diverged", shown);
        Assert.Contains("best so far", shown);
        if (terminal)
        {
            Assert.Contains("\u001b[", shown); // drawn live with ANSI escapes
        }
        else
        {
            Assert.DoesNotContain("\u001b[", shown);
        }
    }
}
