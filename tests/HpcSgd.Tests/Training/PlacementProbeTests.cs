using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// The round trip between the step's and the helper's cores, and what <see cref="GatherAhead{TModel}"/> does with it:
/// rows stored as bytes are gathered by the helper only while its core is near; whoever gathers, the rows are exact.
/// </summary>
public class PlacementProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void A_thread_that_answers_gives_a_positive_round_trip()
    {
        var probe = new PlacementProbe();
        using var stop = new CancellationTokenSource();
        var answerer = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                probe.Answer();
            }
        }) { IsBackground = true };
        answerer.Start();
        try
        {
            double roundTrip = -1;
            for (int attempt = 0; roundTrip < 0 && attempt < 10_000; attempt++) // the answering thread may not be running yet
            {
                roundTrip = probe.Measure(Timeout);
            }
            Assert.InRange(roundTrip, 1, 1e6); // a cache line's round trip in nanoseconds, well under a millisecond
        }
        finally
        {
            stop.Cancel();
            answerer.Join();
        }
    }

    [Fact]
    public async Task Without_an_answer_the_measurement_gives_up()
    {
        var probe = new PlacementProbe();
        double roundTrip = await Task.Run(() => probe.Measure(Timeout)).WaitAsync(TimeSpan.FromSeconds(10)); // throws if it hangs
        Assert.Equal(-1, roundTrip);
        Assert.False(probe.Answer() && probe.Answer()); // a stale ping is answered once, then there is none
    }

    [Fact]
    public void A_far_helper_leaves_byte_rows_to_the_step()
    {
        (GatherAhead<FashionSoftmaxGeneral> ahead, float[] x, float[] y) = Ahead(bytes: true, nearNanoseconds: 0);
        using (ahead)
        {
            var pieces = new Pieces(ahead, x, y);
            for (int piece = 0; ahead.Probes.Far == 0 && piece < 100_000; piece++) // the helper may not be running yet
            {
                pieces.TakeOne();
            }
            Assert.True(ahead.Probes.Far > 0, "the helper never answered a probe");
            Assert.Equal(0, ahead.Probes.Near);
            // From here the helper claims nothing: every chunk of the pieces requested from now on is the step's, and
            // of those outstanding now, what the helper had not claimed.
            long before = ahead.ChunksGatheredByStep, outstandingBefore = pieces.OutstandingChunks;
            long requested = pieces.Take(200);
            long takenFromNewRequests = requested - pieces.OutstandingChunks;
            Assert.InRange(ahead.ChunksGatheredByStep - before, takenFromNewRequests, takenFromNewRequests + outstandingBefore);
        }
    }

    [Fact]
    public void A_far_helper_leaves_the_pieces_the_step_takes_whole_to_the_steps_kernels()
    {
        (GatherAhead<FashionSoftmaxGeneral> ahead, float[] x, float[] y) = Ahead(bytes: true, nearNanoseconds: 0, leaveFarPiecesToStep: true);
        using (ahead)
        {
            var pieces = new Pieces(ahead, x, y);
            for (int piece = 0; ahead.Probes.Far == 0 && piece < 100_000; piece++)
            {
                pieces.TakeOne();
            }
            Assert.True(ahead.Probes.Far > 0, "the helper never answered a probe");
            // Every piece requested from now on is the step's whole (those outstanding now may have chunks the helper took).
            long before = pieces.LeftToStep;
            pieces.Take(200);
            Assert.InRange(pieces.LeftToStep - before, 200 - (Pieces.Depth - 1), 200);
        }
    }

    [Theory]
    [InlineData(true)] // near: the helper gathers as before
    [InlineData(false)] // rows of floats are not probed: the helper gathers wherever it runs
    public void A_near_helper_or_float_rows_keep_the_helper_gathering(bool bytes)
    {
        (GatherAhead<FashionSoftmaxGeneral> ahead, float[] x, float[] y) = Ahead(bytes, nearNanoseconds: double.MaxValue);
        using (ahead)
        {
            var pieces = new Pieces(ahead, x, y);
            for (int piece = 0; (!bytes || ahead.Probes.Near == 0) && piece < (bytes ? 100_000 : 2_000); piece++)
            {
                pieces.TakeOne();
            }
            Assert.Equal(0, ahead.Probes.Far);
            Assert.True(bytes ? ahead.Probes.Near > 0 : ahead.Probes.Near == 0);
        }
    }

    [Fact]
    public void A_probing_session_allocates_nothing_per_step_on_either_thread()
    {
        (float[] x, float[] y) = TestData.Batch(FashionSoftmaxGeneral.Description, 2000, seed: 8);
        var options = new TrainingOptions { LearningRate = 0.01f, BatchSize = 64, Steps = 1_000_000, Seed = 3, GatherAhead = true };
        using var session = new TrainingSession<FashionSoftmaxGeneral>(new Model<FashionSoftmaxGeneral>(seed: 2), new Dataset<FashionSoftmaxGeneral>(TestData.AsBytes(x), y), options);
        for (int step = 0; session.GatherAheadProbes is (0, 0) && step < 200_000; step++) // probes come every few milliseconds
        {
            Assert.True(session.Step());
        }
        Assert.NotEqual((0L, 0L), session.GatherAheadProbes);
        SessionAllocations.AssertNoneOnAnyThread(session, warmUp: 100, steps: 2000);
    }

    [Fact]
    public void A_probing_session_trains_bit_for_bit_as_one_without_the_helper()
    {
        (float[] x, float[] y) = TestData.Batch(FashionSoftmaxGeneral.Description, 1000, seed: 8);
        var data = new Dataset<FashionSoftmaxGeneral>(TestData.AsBytes(x), y);
        var options = new TrainingOptions { LearningRate = 0.01f, BatchSize = 64, Steps = 1500, Seed = 3, Momentum = 0.5f };
        var plainModel = new Model<FashionSoftmaxGeneral>(seed: 2);
        var aheadModel = new Model<FashionSoftmaxGeneral>(seed: 2);
        using (var plain = new TrainingSession<FashionSoftmaxGeneral>(plainModel, data, options))
        using (var ahead = new TrainingSession<FashionSoftmaxGeneral>(aheadModel, data, options with { GatherAhead = true }))
        {
            plain.Run();
            ahead.Run();
            Assert.Equal(plain.LastLoss, ahead.LastLoss);
        }
        Assert.Equal(plainModel.Parameters.ToArray(), aheadModel.Parameters.ToArray());
    }

    [Fact]
    public void Only_steps_with_little_arithmetic_per_batch_byte_probe()
    {
        Assert.True(PlacementProbe.Matters(FashionSoftmaxGeneral.Description)); // 784 -> 10: 2.5 multiply-adds per byte
        Assert.False(PlacementProbe.Matters(FashionMlp.Description)); // 784 -> 128 -> 10: 32
        (float[] x, float[] y) = TestData.Batch(FashionMlp.Description, 400, seed: 8);
        var gather = new BatchGather<FashionMlp>(new Dataset<FashionMlp>(TestData.AsBytes(x), y));
        using var ahead = new GatherAhead<FashionMlp>(gather, 40, 4, chunkRows: 8) { NearNanoseconds = 0, ProbeIntervalTicks = 0 };
        for (int i = 0; i < 200; i++)
        {
            ahead.Request([i, i + 1]);
            ahead.Wait();
        }
        Assert.Equal((0L, 0L), ahead.Probes);
    }

    private static (GatherAhead<FashionSoftmaxGeneral>, float[], float[]) Ahead(bool bytes, double nearNanoseconds, bool leaveFarPiecesToStep = false)
    {
        (float[] x, float[] y) = TestData.Batch(FashionSoftmaxGeneral.Description, 400, seed: 8);
        x = bytes ? TestData.AsBytes(x) : x;
        var gather = new BatchGather<FashionSoftmaxGeneral>(new Dataset<FashionSoftmaxGeneral>(x, y));
        var ahead = new GatherAhead<FashionSoftmaxGeneral>(gather, Pieces.Rows, Pieces.Depth, chunkRows: 8, leaveFarPiecesToStep: leaveFarPiecesToStep)
        {
            NearNanoseconds = nearNanoseconds, ProbeIntervalTicks = 0,
        };
        return (ahead, x, y);
    }

    /// <summary>Requests pieces of random rows, takes them in order and checks every row (or, left to the step, its indices), counting chunks.</summary>
    private sealed class Pieces(GatherAhead<FashionSoftmaxGeneral> ahead, float[] x, float[] y)
    {
        public const int Rows = 40, Depth = 4, ChunkRows = 8;
        private readonly Random random = new(3);
        private readonly Queue<int[]> requested = new();

        public long OutstandingChunks => requested.Sum(Chunks);

        /// <summary>Pieces taken that were left to the step, ungathered.</summary>
        public long LeftToStep { get; private set; }

        private static long Chunks(int[] indices) => (indices.Length + ChunkRows - 1) / ChunkRows;

        /// <summary>Takes <paramref name="count"/> pieces; returns the chunks of the pieces requested meanwhile.</summary>
        public long Take(int count)
        {
            long chunks = 0;
            for (int i = 0; i < count; i++)
            {
                chunks += TakeOne();
            }
            return chunks;
        }

        public long TakeOne()
        {
            long chunks = 0;
            while (requested.Count < Depth - 1)
            {
                int[] indices = [.. Enumerable.Range(0, random.Next(1, Rows + 1)).Select(_ => random.Next(400))];
                ahead.Request(indices);
                requested.Enqueue(indices);
                chunks += Chunks(indices);
            }
            int slot = ahead.Wait();
            int[] expected = requested.Dequeue();
            if (ahead.IsLeftToStep(slot))
            {
                Assert.Equal(expected, ahead.Indices(slot).ToArray());
                LeftToStep++;
                return chunks;
            }
            int width = FashionSoftmaxGeneral.Description.InputCount, targetWidth = FashionSoftmaxGeneral.Description.TargetWidth;
            for (int r = 0; r < expected.Length; r++)
            {
                Assert.Equal(x.AsSpan(expected[r] * width, width).ToArray(), ahead.Inputs(slot).Slice(r * width, width).ToArray());
                Assert.Equal(y.AsSpan(expected[r] * targetWidth, targetWidth).ToArray(), ahead.Targets(slot).Slice(r * targetWidth, targetWidth).ToArray());
            }
            return chunks;
        }
    }
}
