using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tuning;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Tuning;

/// <summary>
/// Issue #16, the sweep journal: a sweep interrupted anywhere and run again with its journal redoes nothing journaled
/// and ends with the uninterrupted sweep's trials; shards of a sweep, run one after another or in separate folders and
/// merged, give the single run's trials; journals of other sweeps and damaged lines are refused with file and line.
/// </summary>
public sealed class SweepJournalTests(ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "hpcsgd-journal-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (Dataset<SeedRegression> Train, Dataset<SeedRegression> Validation) Classic()
    {
        (float[] x, float[] y) = ClassicExample.Generate(count: 100, seed: 1);
        (float[] vx, float[] vy) = ClassicExample.Generate(count: 1000, seed: 2);
        return (new Dataset<SeedRegression>(x, y), new Dataset<SeedRegression>(vx, vy));
    }

    /// <summary>Halving over 3 rungs, roll-backs, momentum and a final round: every kind of state a resumed trial must carry.</summary>
    private static SweepOptions Grid(int rungs = 3) => new()
    {
        Finalists = 3,
        RefineRate = true,
        LearningRates = SweepOptions.LogSpaced(0.001f, 3f, 8),
        BatchSizes = [1, 10, 64],
        Budget = TrainingBudget.Samples(20_000),
        Rungs = rungs,
        Threads = 2,
        Evaluations = 10,
        RollBacks = 2,
        Momentum = 0.5f,
    };

    private static float[] Initial => new Model<SeedRegression>(seed: 3).Parameters.ToArray();

    /// <summary>Everything but the clock: the trials' identities, outcomes, curves and roll-backs, and the recommendation.</summary>
    internal static void AssertSameTrials(SweepResult expected, SweepResult actual)
    {
        Assert.Equal(expected.Trials.Count, actual.Trials.Count);
        for (int i = 0; i < expected.Trials.Count; i++)
        {
            TrialResult e = expected.Trials[i], a = actual.Trials[i];
            Assert.Equal((e.Index, e.LearningRate, e.BatchSize, e.Seed, e.Status, e.Label, e.RungReached), (a.Index, a.LearningRate, a.BatchSize, a.Seed, a.Status, a.Label, a.RungReached));
            Assert.Equal((e.FinalValidationLoss, e.BestValidationLoss, e.FinalAccuracy, e.Steps, e.SamplesSeen), (a.FinalValidationLoss, a.BestValidationLoss, a.FinalAccuracy, a.Steps, a.SamplesSeen));
            Assert.Equal(e.Curve.Select(p => (p.Step, p.SamplesSeen, p.TrainingLoss, p.ValidationLoss)), a.Curve.Select(p => (p.Step, p.SamplesSeen, p.TrainingLoss, p.ValidationLoss)));
            Assert.Equal(e.RollBacks ?? [], a.RollBacks ?? []);
        }
        Assert.Equal(expected.FinalTrials.Count, actual.FinalTrials.Count);
        for (int i = 0; i < expected.FinalTrials.Count; i++)
        {
            TrialResult e = expected.FinalTrials[i], a = actual.FinalTrials[i];
            Assert.Equal((e.Index, e.LearningRate, e.BatchSize, e.Seed, e.Status, e.FinalValidationLoss, e.Steps), (a.Index, a.LearningRate, a.BatchSize, a.Seed, a.Status, a.FinalValidationLoss, a.Steps));
            Assert.Equal(e.Curve.Select(p => (p.Step, p.ValidationLoss)), a.Curve.Select(p => (p.Step, p.ValidationLoss)));
        }
        Assert.Equal(expected.Recommendation.Finalists, actual.Recommendation.Finalists);
        Assert.Equal(expected.Recommendation.BestLearningRate, actual.Recommendation.BestLearningRate);
        Assert.Equal(expected.Recommendation.BestBatchSize, actual.Recommendation.BestBatchSize);
        Assert.Equal(expected.Recommendation.Summary, actual.Recommendation.Summary);
    }

    [Fact]
    public void A_sweep_interrupted_after_trial_phases_and_run_again_ends_with_the_uninterrupted_trials()
    {
        (var train, var validation) = Classic();
        // A grid large enough that interrupting after every trained phase gives the required interruptions however the two threads interleave.
        SweepOptions grid = Grid() with { BatchSizes = [1, 4, 10, 32, 64] };
        SweepResult reference = LearningRateSweep.Run(Initial, train, validation, grid);
        Assert.Contains(reference.Trials, t => t.Status == TrialStatus.Stopped);
        Assert.Contains(reference.Trials, t => t.RolledBack);
        Assert.Equal(3 * grid.FinalistSeeds + 2 * (grid.FinalistSeeds + 1), reference.FinalTrials.Count);

        int interruptions = 0, runs = 0;
        SweepResult? resumed = null;
        var options = grid with { JournalFolder = folder };
        while (resumed is null)
        {
            runs++;
            Assert.True(runs < 2000, "the sweep never finished");
            // Interrupt after the first trial phase (a trial's part of a rung) each run trains, so the interruptions fall
            // in every rung, in the middle of whatever trial runs alongside on the other thread.
            using var cancel = new CancellationTokenSource();
            int pauses = 0, stopAfter = 1;
            var monitor = new SweepMonitor { AfterTrialPaused = trained => { if (trained && Interlocked.Increment(ref pauses) == stopAfter) { cancel.Cancel(); } } };
            try
            {
                resumed = LearningRateSweep.Run(Initial, train, validation, options, monitor, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                interruptions++;
            }
        }
        output.WriteLine($"{interruptions} interruptions, {runs} runs");
        Assert.True(interruptions >= 20, $"only {interruptions} interruptions");
        AssertSameTrials(reference, resumed);
        // A complete journal needs no trial checkpoints any more.
        Assert.False(Directory.Exists(Path.Combine(folder, "sweep-trials")) && Directory.EnumerateFiles(Path.Combine(folder, "sweep-trials")).Any());
        // Run once more: everything comes from the journal, and the merge of the journal alone agrees.
        AssertSameTrials(reference, LearningRateSweep.Run(Initial, train, validation, options));
        AssertSameTrials(reference, LearningRateSweep.Merge([folder]));
    }

    [Fact]
    public void A_journal_line_cut_short_by_a_kill_is_dropped_and_redone()
    {
        (var train, var validation) = Classic();
        var options = Grid(rungs: 1) with { JournalFolder = folder };
        SweepResult whole = LearningRateSweep.Run(Initial, train, validation, options);
        string file = Path.Combine(folder, "sweep-journal.jsonl");
        byte[] bytes = File.ReadAllBytes(file);
        // Cut into the last line: the last trial is then not journaled; also leave a half-written first line behind it.
        int lastLine = Array.LastIndexOf(bytes, (byte)'\n', bytes.Length - 2) + 1;
        File.WriteAllBytes(file, bytes.AsSpan(0, lastLine + (bytes.Length - lastLine) / 2).ToArray());
        Assert.Throws<InvalidDataException>(() => LearningRateSweep.Merge([folder]));
        SweepResult again = LearningRateSweep.Run(Initial, train, validation, options);
        AssertSameTrials(whole, again);
        // The cut line was removed before the redone trial was appended: as many lines as before, each whole.
        Assert.Equal(bytes.Count(b => b == (byte)'\n'), File.ReadAllBytes(file).Count(b => b == (byte)'\n'));
        Assert.Equal((byte)'\n', File.ReadAllBytes(file)[^1]);
    }

    [Fact]
    public void Shards_run_one_after_another_in_one_folder_meet_at_each_rung_and_give_the_single_run()
    {
        (var train, var validation) = Classic();
        SweepResult reference = LearningRateSweep.Run(Initial, train, validation, Grid());
        const int Shards = 3;
        SweepResult? done = null;
        var pendingRungs = new List<int>();
        for (int round = 0; done is null; round++)
        {
            Assert.True(round < 10, "the shards never finished");
            for (int s = 0; s < Shards && done is null; s++)
            {
                try
                {
                    done = LearningRateSweep.Run(Initial, train, validation, Grid() with { JournalFolder = folder, Shard = new SweepShard(s, Shards) });
                }
                catch (SweepShardPendingException e)
                {
                    Assert.Equal(s, e.Shard.Index);
                    Assert.NotEmpty(e.WaitingFor);
                    Assert.All(e.WaitingFor, t => Assert.NotEqual(s, t % Shards));
                    pendingRungs.Add(e.Rung);
                }
            }
        }
        Assert.Contains(1, pendingRungs); // halving made the shards wait for each other at a later rung too
        Assert.Contains(3, pendingRungs); // and for the last rung's results before the finalists' round
        Assert.Contains(4, pendingRungs); // and for the finalists' means before the refinement
        AssertSameTrials(reference, done);
        AssertSameTrials(reference, LearningRateSweep.Merge([folder]));
        Assert.Equal(Shards, Directory.GetFiles(folder, "sweep-journal-*-of-3.jsonl").Length);
    }

    [Fact]
    public void Shards_in_separate_folders_merge_into_the_single_run()
    {
        (var train, var validation) = Classic();
        // One rung and no final round: nothing waits for another shard's results (a final round would, like a rung).
        SweepOptions Grid(int rungs) => SweepJournalTests.Grid(rungs) with { Finalists = 0, RefineRate = false };
        SweepResult reference = LearningRateSweep.Run(Initial, train, validation, Grid(rungs: 1));
        const int Shards = 4;
        var folders = new List<string>();
        for (int s = 0; s < Shards; s++)
        {
            string own = Path.Combine(folder, $"machine{s}");
            folders.Add(own);
            Assert.Throws<SweepShardPendingException>(() =>
                LearningRateSweep.Run(Initial, train, validation, Grid(rungs: 1) with { JournalFolder = own, Shard = new SweepShard(s, Shards) }));
        }
        var e = Assert.Throws<InvalidDataException>(() => LearningRateSweep.Merge(folders[..3]));
        Assert.Contains("lack trial 3", e.Message);
        AssertSameTrials(reference, LearningRateSweep.Merge(folders));
    }

    [Fact]
    public void A_journal_of_another_sweep_or_with_a_damaged_line_is_refused_naming_what_and_where()
    {
        (var train, var validation) = Classic();
        LearningRateSweep.Run(Initial, train, validation, Grid(rungs: 1) with { JournalFolder = folder });
        var other = Assert.Throws<InvalidDataException>(() =>
            LearningRateSweep.Run(Initial, train, validation, Grid(rungs: 1) with { JournalFolder = folder, BatchSizes = [1, 10, 32] }));
        Assert.Contains("BatchSizes", other.Message);
        var otherStart = Assert.Throws<InvalidDataException>(() =>
            LearningRateSweep.Run(new Model<SeedRegression>(seed: 4).Parameters, train, validation, Grid(rungs: 1) with { JournalFolder = folder }));
        Assert.Contains("InitialParameters", otherStart.Message);

        string file = Path.Combine(folder, "sweep-journal.jsonl");
        string[] lines = File.ReadAllLines(file);
        lines[3] = lines[3].Replace("\"steps\":", "\"steps\": ", StringComparison.Ordinal);
        File.WriteAllLines(file, lines);
        var damaged = Assert.Throws<InvalidDataException>(() => LearningRateSweep.Merge([folder]));
        Assert.Contains("line 4", damaged.Message);
        Assert.Contains("sweep-journal.jsonl", damaged.Message);
        Assert.DoesNotContain('\n', damaged.Message);
    }
}
