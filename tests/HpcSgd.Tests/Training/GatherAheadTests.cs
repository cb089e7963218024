using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// <see cref="TrainingOptions.GatherAhead"/>: the next batch gathered on a helper thread changes nothing but the time:
/// same batches, same parameters bit for bit, nothing allocated per step on either thread, and a clean stop.
/// </summary>
public class GatherAheadTests
{
    private static (Model<TModel> Model, TrainingSession<TModel> Session) Session<TModel>(
        bool ahead, int batch, BatchSampling sampling, int steps, int samples = 1000, bool dropLast = false, int threads = 1, int? chunk = null, bool bytes = false)
        where TModel : ISgdModel<TModel>
    {
        (float[] x, float[] y) = TestData.Batch(TModel.Description, samples, seed: 4);
        x = bytes ? TestData.AsBytes(x) : x;
        var model = new Model<TModel>(seed: 2);
        var options = new TrainingOptions
        {
            LearningRate = 0.01f, BatchSize = batch, Steps = steps, Seed = 9, Sampling = sampling, Momentum = 0.5f,
            DropLastPartialBatch = dropLast, GatherAhead = ahead, Threads = threads, ChunkSize = chunk,
        };
        return (model, new TrainingSession<TModel>(model, new Dataset<TModel>(x, y), options));
    }

    [Theory]
    [InlineData(64, BatchSampling.ShuffledEpochs, false)] // declared size; epochs of 1000 end in a partial batch of 40
    [InlineData(64, BatchSampling.ShuffledEpochs, true)]
    [InlineData(7, BatchSampling.RandomBatches, false)] // general path, and the sampler that rewrites the order in place
    [InlineData(1, BatchSampling.ShuffledEpochs, false)]
    [InlineData(64, BatchSampling.ShuffledEpochs, false, true)] // byte-valued features: the helper widens the byte copy
    public void SameBatches_SameParameters_BitForBit(int batch, BatchSampling sampling, bool dropLast, bool bytes = false)
    {
        const int Steps = 60;
        (Model<FashionMlp> plainModel, TrainingSession<FashionMlp> plain) = Session<FashionMlp>(false, batch, sampling, Steps, dropLast: dropLast, bytes: bytes);
        (Model<FashionMlp> aheadModel, TrainingSession<FashionMlp> ahead) = Session<FashionMlp>(true, batch, sampling, Steps, dropLast: dropLast, bytes: bytes);
        using (plain)
        using (ahead)
        {
            for (int step = 0; step < Steps; step++)
            {
                Assert.True(plain.Step());
                Assert.True(ahead.Step());
                Assert.Equal(plain.LastBatchIndices.ToArray(), ahead.LastBatchIndices.ToArray());
                Assert.Equal(plain.LastLoss, ahead.LastLoss);
            }
            Assert.False(ahead.Step()); // the budget ends the same way
            Assert.Equal(plain.SamplesSeen, ahead.SamplesSeen);
        }
        Assert.Equal(plainModel.Parameters.ToArray(), aheadModel.Parameters.ToArray());
    }

    [Theory]
    [InlineData(64, 24, BatchSampling.ShuffledEpochs, false)] // chunks of 24, 24, 16; epochs of 1000 end in a batch of 40 (24 + 16)
    [InlineData(64, 24, BatchSampling.ShuffledEpochs, true)]
    [InlineData(100, 32, BatchSampling.RandomBatches, false)] // drawn afresh per step: the helper gathers the next batch's chunks after this one's
    [InlineData(256, 64, BatchSampling.ShuffledEpochs, false)]
    public void Chunked_batches_are_gathered_ahead_chunk_by_chunk_with_the_same_parameters_bit_for_bit(int batch, int chunk, BatchSampling sampling, bool dropLast)
    {
        const int Steps = 40;
        (Model<FashionMlp> plainModel, TrainingSession<FashionMlp> plain) = Session<FashionMlp>(false, batch, sampling, Steps, dropLast: dropLast, chunk: chunk);
        (Model<FashionMlp> aheadModel, TrainingSession<FashionMlp> ahead) = Session<FashionMlp>(true, batch, sampling, Steps, dropLast: dropLast, chunk: chunk);
        using (plain)
        using (ahead)
        {
            Assert.True(ahead.GatherAheadRunning);
            for (int step = 0; step < Steps; step++)
            {
                Assert.True(plain.Step());
                Assert.True(ahead.Step());
                Assert.Equal(plain.LastLoss, ahead.LastLoss);
                // The ahead session's last piece is the plain batch's last chunk.
                ReadOnlySpan<int> batchIndices = plain.LastBatchIndices;
                Assert.Equal(batchIndices[^ahead.LastBatchIndices.Length..].ToArray(), ahead.LastBatchIndices.ToArray());
            }
            Assert.False(ahead.Step());
            Assert.Equal(plain.SamplesSeen, ahead.SamplesSeen);
        }
        Assert.Equal(plainModel.Parameters.ToArray(), aheadModel.Parameters.ToArray());
    }

    [Fact]
    public void NarrowRows_AndRun_MatchTheSessionWithoutIt()
    {
        // Narrow samples take the interleaved-row gather; Run() drives the steps to the end of the budget.
        (Model<TiledMlp> plainModel, TrainingSession<TiledMlp> plain) = Session<TiledMlp>(false, 32, BatchSampling.ShuffledEpochs, 200);
        (Model<TiledMlp> aheadModel, TrainingSession<TiledMlp> ahead) = Session<TiledMlp>(true, 32, BatchSampling.ShuffledEpochs, 200);
        using (plain)
        using (ahead)
        {
            Assert.Equal(TrainingStatus.Completed, plain.Run().Status);
            Assert.Equal(TrainingStatus.Completed, ahead.Run().Status);
        }
        Assert.Equal(plainModel.Parameters.ToArray(), aheadModel.Parameters.ToArray());
    }

    [Fact]
    public void WithSeveralThreads_TheOptionChangesNothing()
    {
        (Model<TiledMlp> plainModel, TrainingSession<TiledMlp> plain) = Session<TiledMlp>(false, 300, BatchSampling.ShuffledEpochs, 20, threads: 2);
        (Model<TiledMlp> aheadModel, TrainingSession<TiledMlp> ahead) = Session<TiledMlp>(true, 300, BatchSampling.ShuffledEpochs, 20, threads: 2);
        using (plain)
        using (ahead)
        {
            plain.Run();
            ahead.Run();
        }
        Assert.Equal(plainModel.Parameters.ToArray(), aheadModel.Parameters.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Steps_AllocateNothing_OnEitherThread(bool bytes)
    {
        (_, TrainingSession<FashionMlp> session) = Session<FashionMlp>(true, 64, BatchSampling.ShuffledEpochs, 1000, bytes: bytes);
        using (session)
        {
            SessionAllocations.AssertNoneOnAnyThread(session, warmUp: 150, steps: 400);
        }
    }

    [Fact]
    public async Task Dispose_StopsTheHelper_AndLaterStepsSayDisposed()
    {
        (_, TrainingSession<FashionMlp> session) = Session<FashionMlp>(true, 64, BatchSampling.ShuffledEpochs, 100);
        Assert.True(session.Step()); // the second batch is now requested
        Assert.True(session.GatherAheadRunning);
        await Task.Run(session.Dispose).WaitAsync(TimeSpan.FromSeconds(10)); // throws TimeoutException if Dispose hangs
        session.Dispose(); // twice is harmless
        Assert.Throws<ObjectDisposedException>(() => session.Step());
        Assert.False(session.GatherAheadRunning);
    }

    [Theory]
    [InlineData(false, false, 4)] // no helper: the step gathers every chunk itself
    [InlineData(true, false, 4)]
    [InlineData(true, false, 0)] // default chunks: one per piece here
    [InlineData(true, true, 4)] // byte-valued features
    public void EveryPiece_HoldsItsSamplesRows_WhoeverGathersIt(bool startHelper, bool bytes, int chunkRows) =>
        EveryPieceHoldsItsRows<FashionMlp>(startHelper, bytes, chunkRows, pieces: 300);

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 3)] // a narrow gather stores whole vectors past each row: chunks copied at once must not overlap
    [InlineData(true, 1)]
    public void NarrowRows_InChunksCopiedByBothThreads_AreExact(bool startHelper, int chunkRows) =>
        EveryPieceHoldsItsRows<SeedRegression>(startHelper, false, chunkRows, pieces: 5000); // many: overlapping copies are a race

    private static void EveryPieceHoldsItsRows<TModel>(bool startHelper, bool bytes, int chunkRows, int pieces)
        where TModel : ISgdModel<TModel>
    {
        const int Samples = 500, Rows = 13, Depth = 3;
        ModelDescription description = TModel.Description;
        (float[] x, float[] y) = TestData.Batch(description, Samples, seed: 6);
        x = bytes ? TestData.AsBytes(x) : x;
        var gather = new BatchGather<TModel>(new Dataset<TModel>(x, y));
        using var ahead = new GatherAhead<TModel>(gather, Rows, Depth, startHelper, chunkRows);
        var random = new Random(3);
        var requested = new Queue<int[]>();
        long chunks = 0;
        int perChunk = chunkRows > 0 ? chunkRows : GatherAhead<TModel>.ChunkRows(description.InputCount + description.TargetWidth);
        for (int piece = 0; piece < pieces; piece++)
        {
            while (requested.Count < Depth - 1)
            {
                int[] indices = [.. Enumerable.Range(0, random.Next(1, Rows + 1)).Select(_ => random.Next(Samples))];
                ahead.Request(indices);
                requested.Enqueue(indices);
                chunks += (indices.Length + perChunk - 1) / perChunk;
            }
            int slot = ahead.Wait();
            int[] expected = requested.Dequeue();
            Assert.Equal(expected, ahead.Indices(slot).ToArray());
            for (int r = 0; r < expected.Length; r++)
            {
                Assert.Equal(x.AsSpan(expected[r] * description.InputCount, description.InputCount).ToArray(), ahead.Inputs(slot).Slice(r * description.InputCount, description.InputCount).ToArray());
                Assert.Equal(y.AsSpan(expected[r] * description.TargetWidth, description.TargetWidth).ToArray(), ahead.Targets(slot).Slice(r * description.TargetWidth, description.TargetWidth).ToArray());
            }
        }
        if (!startHelper)
        {
            // Every chunk of the pieces taken (the last requests are still outstanding).
            long outstanding = requested.Sum(indices => (indices.Length + perChunk - 1) / perChunk);
            Assert.Equal(chunks - outstanding, ahead.ChunksGatheredByStep);
        }
    }
}
