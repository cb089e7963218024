using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// Issue #16, checkpoints: a run stopped at any step and resumed from its checkpoint ends with parameters identical bit
/// for bit to a run never stopped, whatever the sampling, threads, chunking, momentum, schedule and roll-backs; a
/// checkpoint from another run, or a damaged one, is refused with the reason.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "hpcsgd-checkpoint-" + Guid.NewGuid().ToString("N"));

    public CheckpointTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static Dataset<TiledMlp> Data(int count = 301, int seed = 5)
    {
        var random = new Random(seed);
        var x = new float[count * 37];
        var y = new float[count * 3];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() * 2 - 1);
        }
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = (float)(random.NextDouble() - 0.5);
        }
        return new Dataset<TiledMlp>(x, y);
    }

    public static TheoryData<string> Runs => new(Configurations.Keys);

    private static readonly Dictionary<string, TrainingOptions> Configurations = new()
    {
        ["shuffled epochs, momentum, cosine"] = new() { LearningRate = 0.05f, BatchSize = 6, Steps = 400, Seed = 3, Momentum = 0.9f, Schedule = LearningRateSchedule.Cosine(0.1f) },
        ["random batches, Nesterov, warm-up"] = new() { LearningRate = 0.05f, BatchSize = 6, Steps = 400, Seed = 4, Sampling = BatchSampling.RandomBatches, Momentum = 0.5f, Nesterov = true, WarmupSteps = 30 },
        ["partial last batch, weight decay"] = new() { LearningRate = 0.05f, BatchSize = 7, Epochs = 6, Seed = 5, WeightDecay = 1e-3f, Schedule = LearningRateSchedule.StepDecay(100, 0.5f) },
        ["two threads"] = new() { LearningRate = 0.05f, BatchSize = 64, Steps = 120, Seed = 6, Threads = 2, Momentum = 0.9f },
        ["chunked"] = new() { LearningRate = 0.05f, BatchSize = 300, Steps = 60, Seed = 7, ChunkSize = 64 },
        ["gather ahead"] = new() { LearningRate = 0.05f, BatchSize = 6, Steps = 300, Seed = 8, GatherAhead = true },
        // Random batches cannot be peeked: the session draws one batch ahead, and a checkpoint carries it.
        ["gather ahead, random batches"] = new() { LearningRate = 0.05f, BatchSize = 6, Steps = 300, Seed = 9, GatherAhead = true, Sampling = BatchSampling.RandomBatches },
        ["gather ahead, chunked"] = new() { LearningRate = 0.05f, BatchSize = 300, Steps = 60, Seed = 10, ChunkSize = 64, GatherAhead = true },
        ["gather ahead, chunked random batches"] = new() { LearningRate = 0.05f, BatchSize = 70, Steps = 120, Seed = 12, ChunkSize = 32, GatherAhead = true, Sampling = BatchSampling.RandomBatches },
    };

    private static float[] Uninterrupted(TrainingOptions options, Dataset<TiledMlp> data)
    {
        var model = new Model<TiledMlp>(seed: 2);
        using var session = new TrainingSession<TiledMlp>(model, data, options);
        session.Run();
        return model.Parameters.ToArray();
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void A_run_stopped_at_random_steps_and_resumed_ends_bit_for_bit_as_the_uninterrupted_run(string run)
    {
        TrainingOptions options = Configurations[run];
        Dataset<TiledMlp> data = Data();
        float[] expected = Uninterrupted(options, data);
        string path = Path.Combine(folder, "run.ckpt");
        var random = new Random(run.Length);
        for (int trial = 0; trial < 9; trial++)
        {
            // Stop after a random number of steps, checkpoint, and continue in a new session (a new process, in effect);
            // two interruptions per trial, the second inside the resumed run.
            using var cancel = new CancellationTokenSource();
            int total;
            using (var first = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), data, options))
            {
                total = first.TotalSteps;
                int stopAt = random.Next(0, total);
                for (int s = 0; s < stopAt && first.Step(); s++)
                {
                }
                first.SaveCheckpoint(path);
            }
            using (var second = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 99), data, options))
            {
                second.RestoreCheckpoint(path);
                int more = random.Next(0, total - second.StepsDone + 1);
                for (int s = 0; s < more && second.Step(); s++)
                {
                }
                second.SaveCheckpoint(path);
            }
            var model = new Model<TiledMlp>(seed: 7);
            using var third = new TrainingSession<TiledMlp>(model, data, options);
            third.RestoreCheckpoint(path);
            TrainingResult result = third.Run();
            Assert.Equal(total, result.Steps);
            Assert.Equal(expected, model.Parameters.ToArray());
        }
    }

    [Fact]
    public void Run_checkpoints_on_cancellation_and_the_resumed_run_matches_with_its_roll_backs()
    {
        // A linear model at a rate that diverges again and again (the roll-back tests' case), so the snapshots matter.
        (float[] x, float[] y) = ClassicExample.Generate(500, 2);
        var data = new Dataset<SeedRegression>(x, y);
        var options = new TrainingOptions { LearningRate = 5f, BatchSize = 8, Steps = 3000, Seed = 4, DivergenceFactor = 100f, RollBacks = 10, Momentum = 0.5f };
        var reference = new Model<SeedRegression>(seed: 1);
        IReadOnlyList<RollBackEvent> expectedRollBacks;
        using (var whole = new TrainingSession<SeedRegression>(reference, data, options))
        {
            Assert.Equal(TrainingStatus.Completed, whole.Run().Status);
            expectedRollBacks = [.. whole.RollBacks];
        }
        Assert.True(expectedRollBacks.Count >= 2);

        string path = Path.Combine(folder, "cancelled.ckpt");
        foreach (int cancelAt in new[] { 7, 301, 1237, 2999 })
        {
            using var cancel = new CancellationTokenSource();
            var withCheckpoints = options with
            {
                CheckpointPath = path,
                CheckpointInterval = 50,
                ProgressInterval = 1,
                Progress = p =>
                {
                    if (p.Step == cancelAt)
                    {
                        cancel.Cancel();
                    }
                },
            };
            using (var first = new TrainingSession<SeedRegression>(new Model<SeedRegression>(seed: 1), data, withCheckpoints))
            {
                Assert.Equal(TrainingStatus.Cancelled, first.Run(cancel.Token).Status);
            }
            var model = new Model<SeedRegression>(seed: 1);
            using var resumed = new TrainingSession<SeedRegression>(model, data, withCheckpoints with { Progress = null });
            resumed.RestoreCheckpoint(path);
            Assert.Equal(cancelAt, resumed.StepsDone);
            Assert.Equal(TrainingStatus.Completed, resumed.Run().Status);
            Assert.Equal(reference.Parameters.ToArray(), model.Parameters.ToArray());
            Assert.Equal(expectedRollBacks, resumed.RollBacks);
            // The end of the run wrote the last checkpoint: it holds the final parameters and is itself a model file.
            Assert.Equal(reference.Parameters.ToArray(), Model<SeedRegression>.Load(path).Parameters.ToArray());
        }
    }

    [Fact]
    public void A_checkpoint_written_every_n_steps_holds_that_step()
    {
        string path = Path.Combine(folder, "every.ckpt");
        Dataset<TiledMlp> data = Data();
        var options = Configurations["shuffled epochs, momentum, cosine"] with { Steps = 130, CheckpointPath = path, CheckpointInterval = 40 };
        var steps = new List<int>();
        using var session = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), data, options with
        {
            ProgressInterval = 1,
            Progress = p =>
            {
                if (p.Step % 40 == 1 && p.Step > 1)
                {
                    // One step after a due checkpoint, the file holds the step before.
                    using var probe = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), data, options);
                    probe.RestoreCheckpoint(path);
                    steps.Add(probe.StepsDone);
                }
            },
        });
        session.Run();
        Assert.Equal([40, 80, 120], steps);
    }

    [Theory]
    [InlineData("BatchSize")]
    [InlineData("LearningRate")]
    [InlineData("Seed")]
    [InlineData("Threads")]
    [InlineData("ChunkSize")]
    [InlineData("DataHash")]
    public void A_checkpoint_from_a_run_with_other_options_or_data_is_refused_naming_the_difference(string changed)
    {
        string path = Path.Combine(folder, "other.ckpt");
        Dataset<TiledMlp> data = Data();
        var options = new TrainingOptions { LearningRate = 0.05f, BatchSize = 64, Steps = 20, Seed = 3 };
        using (var session = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), data, options))
        {
            session.Step();
            session.SaveCheckpoint(path);
        }
        TrainingOptions other = changed switch
        {
            "BatchSize" => options with { BatchSize = 32 },
            "LearningRate" => options with { LearningRate = 0.1f },
            "Seed" => options with { Seed = 4 },
            "Threads" => options with { Threads = 2 },
            "ChunkSize" => options with { ChunkSize = 16 },
            _ => options,
        };
        Dataset<TiledMlp> otherData = changed == "DataHash" ? Data(seed: 6) : data;
        using var resumed = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), otherData, other);
        var e = Assert.Throws<ModelFileException>(() => resumed.RestoreCheckpoint(path));
        Assert.Contains(changed == "DataHash" ? "other training data" : changed, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(0, resumed.StepsDone);
    }

    [Fact]
    public void A_plain_model_file_or_a_damaged_checkpoint_is_refused_and_changes_nothing()
    {
        Dataset<TiledMlp> data = Data();
        var options = new TrainingOptions { LearningRate = 0.05f, BatchSize = 6, Steps = 20, Seed = 3, Momentum = 0.9f };
        string plain = Path.Combine(folder, "plain.hpcsgd");
        new Model<TiledMlp>(seed: 2).Save(plain);
        var model = new Model<TiledMlp>(seed: 5);
        float[] before = model.Parameters.ToArray();
        using (var session = new TrainingSession<TiledMlp>(model, data, options))
        {
            var e = Assert.Throws<ModelFileException>(() => session.RestoreCheckpoint(plain));
            Assert.Contains("not a checkpoint", e.Message);
        }
        Assert.Equal(before, model.Parameters.ToArray());

        string path = Path.Combine(folder, "damaged.ckpt");
        using (var session = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), data, options))
        {
            session.Step();
            session.SaveCheckpoint(path);
        }
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        using (var session = new TrainingSession<TiledMlp>(model, data, options))
        {
            var e = Assert.Throws<ModelFileException>(() => session.RestoreCheckpoint(path));
            Assert.Contains("checksum", e.Message);
        }
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Restoring_into_a_session_that_has_stepped_is_refused()
    {
        Dataset<TiledMlp> data = Data();
        var options = new TrainingOptions { LearningRate = 0.05f, BatchSize = 6, Steps = 20, Seed = 3 };
        string path = Path.Combine(folder, "late.ckpt");
        using var session = new TrainingSession<TiledMlp>(new Model<TiledMlp>(seed: 2), data, options);
        session.Step();
        session.SaveCheckpoint(path);
        Assert.Throws<InvalidOperationException>(() => session.RestoreCheckpoint(path));
    }

    [Fact]
    public void A_checkpoint_interval_without_a_path_is_an_invalid_option()
    {
        var options = new TrainingOptions { LearningRate = 0.05f, BatchSize = 6, Steps = 20, CheckpointInterval = 10 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate(100));
        Assert.Contains("CheckpointPath", e.Message);
    }
}
