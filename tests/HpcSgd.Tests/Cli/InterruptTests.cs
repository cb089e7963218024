using System.Diagnostics;

namespace HpcSgd.Tests.Cli;

/// <summary>Issue #16 item 1: Ctrl+C during a sweep is one line on standard error and exit code 130, tested with a real SIGINT.</summary>
public class InterruptTests
{
    [Fact]
    public async Task Sigint_during_a_sweep_prints_one_line_and_exits_130()
    {
        string folder = Path.Combine(Path.GetTempPath(), "hpcsgd-sigint-" + Guid.NewGuid().ToString("N"));
        // A sweep far longer than the test: 30 rates x 5 batch sizes, 10^8 samples per trial.
        ProcessStartInfo start = CliRun.ChildStart("sweep", "--lr-count", "30", "--budget-samples", "100000000", "--rungs", "1", "--out", folder);
        using Process child = Process.Start(start)!;
        try
        {
            Task<string> error = child.StandardError.ReadToEndAsync();
            // Wait until the sweep is running (its first progress line), then interrupt it.
            string? line;
            while ((line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null
                && !line.Contains("rung 1:", StringComparison.Ordinal))
            {
            }
            Assert.NotNull(line);
            await Task.Delay(300);
            using (Process kill = Process.Start("kill", ["-INT", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            Task drain = child.StandardOutput.ReadToEndAsync();
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await drain;
            string stderr = await error;
            Assert.Equal(130, child.ExitCode);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
            Assert.StartsWith("hpcsgd: cancelled;", stderr);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
