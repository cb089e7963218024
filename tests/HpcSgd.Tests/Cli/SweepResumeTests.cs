using System.Diagnostics;
using System.Globalization;
using HpcSgd.Cli.Explorer;
using HpcSgd.Tuning;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Cli;

/// <summary>
/// Issue #16 on the command line: 'hpcsgd sweep' killed (SIGKILL) and run again with --resume ends with the trials of an
/// uninterrupted run; shards run as separate processes and merged give the single run's trials; an unfinished journal
/// is never overwritten without --resume. The kill count comes from HPCSGD_SWEEP_KILLS (a few by default; tests/kill-and-resume asks for more).
/// </summary>
public sealed class SweepResumeTests(ITestOutputHelper log) : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "hpcsgd-sweep-resume-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The default run's two experiments, a smaller grid, two halving rungs.
    private static readonly string[] Sweep = ["sweep", "--lr-count", "4", "--rungs", "2", "--threads", "2"];

    private static void AssertSameTrials(string expectedFolder, string actualFolder)
    {
        foreach (string experiment in new[] { "classic", "digits" })
        {
            SweepFile e = ResultFiles.ReadSweepJson(Path.Combine(expectedFolder, experiment, "sweep.json"));
            SweepFile a = ResultFiles.ReadSweepJson(Path.Combine(actualFolder, experiment, "sweep.json"));
            Assert.Equal(e.Trials.Count, a.Trials.Count);
            for (int i = 0; i < e.Trials.Count; i++)
            {
                TrialResult x = e.Trials[i], y = a.Trials[i];
                Assert.Equal((x.Status, x.Label, x.RungReached, x.FinalValidationLoss, x.Steps), (y.Status, y.Label, y.RungReached, y.FinalValidationLoss, y.Steps));
                Assert.Equal(x.Curve.Select(p => p.ValidationLoss), y.Curve.Select(p => p.ValidationLoss));
            }
            Assert.Equal(e.FinalTrials.Select(t => (t.Index, t.LearningRate, t.BatchSize, t.FinalValidationLoss)), a.FinalTrials.Select(t => (t.Index, t.LearningRate, t.BatchSize, t.FinalValidationLoss)));
            Assert.Equal(e.Recommendation.Summary, a.Recommendation.Summary);
        }
    }

    [Fact]
    public async Task Shards_as_separate_processes_then_merge_give_the_single_run_s_trials()
    {
        string single = Path.Combine(folder, "single"), shared = Path.Combine(folder, "shared");
        Assert.Equal(0, CliRun.Run([.. Sweep, "--out", single]).Exit);
        // Four scheduled rounds of three shards at once (a job per rung, one for the finalists, one for the refinement), as the README's Kubernetes and Slurm examples run them.
        for (int round = 0; round < 4; round++)
        {
            Task<(int, string)>[] shards = [.. Enumerable.Range(0, 3).Select(i => CliRun.Child([.. Sweep, "--out", shared, "--shard", $"{i}/3", .. round > 0 ? new[] { "--resume" } : []]))];
            foreach ((int exit, string output) in await Task.WhenAll(shards))
            {
                Assert.True(exit == 0, output);
            }
        }
        // A shard of the last round that finds every other shard's trials journaled already finishes the sweep and writes
        // the report itself; whether one does depends on how the three processes interleave. The merge writes it anyway.
        File.Delete(Path.Combine(shared, "report.md"));
        (int mergeExit, string mergeOutput, string mergeError) = CliRun.Run("merge", shared);
        Assert.True(mergeExit == 0, mergeOutput + mergeError);
        Assert.True(File.Exists(Path.Combine(shared, "report.md")));
        AssertSameTrials(single, shared);
    }

    [Fact]
    public void Shards_in_separate_folders_merge_into_a_new_folder_and_a_missing_shard_is_named()
    {
        string single = Path.Combine(folder, "single");
        string[] sweep = [.. Sweep[..^4], "--rungs", "1", "--finalists", "0"];
        Assert.Equal(0, CliRun.Run([.. sweep, "--out", single]).Exit);
        string[] machines = [.. Enumerable.Range(0, 2).Select(i => Path.Combine(folder, $"machine{i}"))];
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(0, CliRun.Run([.. sweep, "--out", machines[i], "--shard", $"{i}/2"]).Exit);
        }
        (int exit, _, string error) = CliRun.Run("merge", machines[0]);
        Assert.Equal(1, exit);
        Assert.Contains("lack trial 1", error);
        string merged = Path.Combine(folder, "merged");
        Assert.Equal(0, CliRun.Run("merge", machines[0], machines[1], "--out", merged).Exit);
        AssertSameTrials(single, merged);
    }

    [Fact]
    public async Task A_sweep_killed_at_random_points_resumes_to_the_uninterrupted_trials()
    {
        int kills = int.TryParse(Environment.GetEnvironmentVariable("HPCSGD_SWEEP_KILLS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 3;
        string single = Path.Combine(folder, "single");
        string[] sweep = [.. Sweep, "--budget-samples", "60000"];
        Assert.Equal(0, CliRun.Run([.. sweep, "--out", single]).Exit);
        var random = new Random(16);
        for (int k = 0; k < kills; k++)
        {
            string run = Path.Combine(folder, $"run{k}");
            var start = CliRun.ChildStart([.. sweep, "--out", run]);
            using (Process child = Process.Start(start)!)
            {
                Task drain = Task.WhenAll(child.StandardOutput.ReadToEndAsync(), child.StandardError.ReadToEndAsync());
                string journal = Path.Combine(run, "classic", "sweep-journal.jsonl");
                await CliRun.WaitForFile(journal);
                await Task.Delay(random.Next(0, 1500));
                child.Kill();
                await child.WaitForExitAsync();
                await drain;
            }
            int journaled = Directory.GetFiles(run, "sweep-journal.jsonl", SearchOption.AllDirectories).Sum(f => File.ReadAllLines(f).Length - 1);
            // Without --resume the unfinished journal is refused, not overwritten.
            (int refused, _, string error) = CliRun.Run([.. sweep, "--out", run]);
            if (!File.Exists(Path.Combine(run, "report.md")))
            {
                Assert.Equal(1, refused);
                Assert.Contains("--resume", error);
            }
            (int exit, string output) = await CliRun.Child([.. sweep, "--out", run, "--resume"]);
            Assert.True(exit == 0, output);
            AssertSameTrials(single, run);
            log.WriteLine($"kill {k}: {journaled} trial phases journaled before the kill; resumed to the uninterrupted trials");
        }
    }

    [Theory]
    [InlineData("2/8", null, null, null, 2, 8)]
    [InlineData("8", "5", null, null, 5, 8)]
    [InlineData("4", null, "11", "10", 1, 4)]
    [InlineData("4", null, "3", null, 3, 4)]
    public void A_shard_comes_from_the_option_or_the_scheduler_s_index(string text, string? kubernetes, string? slurmTask, string? slurmMin, int index, int count)
    {
        var environment = new Dictionary<string, string?> { ["JOB_COMPLETION_INDEX"] = kubernetes, ["SLURM_ARRAY_TASK_ID"] = slurmTask, ["SLURM_ARRAY_TASK_MIN"] = slurmMin };
        Assert.Equal(new SweepShard(index, count), ExplorerCommands.ParseShard(text, name => environment.GetValueOrDefault(name)));
    }

    [Theory]
    [InlineData("3/3", "does not exist")]
    [InlineData("a/3", "I/N")]
    [InlineData("3", "JOB_COMPLETION_INDEX")]
    public void A_bad_shard_is_refused_saying_how_to_write_it(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => ExplorerCommands.ParseShard(text, _ => null));
        Assert.Contains(expected, e.Message);
    }
}
