using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Tests.Reference;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>Large batches on one thread run in cache-sized chunks: same training as one pass, nothing allocated.</summary>
public class ChunkedBatchTests
{
    private const int Batch = 2048; // 2048 x 784 floats = 6.4 MB of inputs: above the 4 MiB threshold

    private static Dataset<FashionMlp> Data()
    {
        var random = new Random(5);
        int count = 2500;
        var x = new float[count * 784];
        var y = new int[count];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }
        for (int i = 0; i < count; i++)
        {
            y[i] = random.Next(10);
        }
        return new Dataset<FashionMlp>(x, y);
    }

    private static TrainingSession<FashionMlp> Session(Model<FashionMlp> model, Dataset<FashionMlp> data, int? chunk, int steps = 3) =>
        new(model, data, new TrainingOptions { LearningRate = 0.05f, BatchSize = Batch, Steps = steps, Seed = 2, Momentum = 0.9f, ChunkSize = chunk });

    [Theory]
    [InlineData(null)] // automatic: chunks of 64 (declared)
    [InlineData(100)] // 20 chunks of 100 and one of 48: each chunk's gradient weighted by its size
    public void Chunked_steps_match_one_pass_over_the_batch(int? chunk)
    {
        Dataset<FashionMlp> data = Data();
        var chunkedModel = new Model<FashionMlp>(seed: 1);
        var wholeModel = new Model<FashionMlp>(seed: 1);
        using TrainingSession<FashionMlp> chunked = Session(chunkedModel, data, chunk);
        using TrainingSession<FashionMlp> whole = Session(wholeModel, data, chunk: 0);
        for (int step = 0; step < 3; step++)
        {
            Assert.True(chunked.Step());
            Assert.True(whole.Step());
            Tolerance.AssertKernelClose(whole.LastLoss, chunked.LastLoss, $"loss of step {step}");
        }
        ReadOnlySpan<float> a = wholeModel.Parameters, b = chunkedModel.Parameters;
        for (int i = 0; i < a.Length; i++)
        {
            Tolerance.AssertKernelClose(a[i], b[i], $"parameter {i}");
        }
        Assert.NotEqual(a.ToArray(), b.ToArray()); // really a different (chunked) summation, not the same path twice
    }

    [Fact]
    public void Chunked_steps_allocate_nothing()
    {
        Dataset<FashionMlp> data = Data();
        using TrainingSession<FashionMlp> session = Session(new Model<FashionMlp>(seed: 1), data, chunk: 100, steps: 40);
        for (int i = 0; i < 5; i++)
        {
            session.Step();
        }
        long mark = ThreadAllocations.Mark();
        for (int i = 0; i < 30; i++)
        {
            Assert.True(session.Step());
        }
        Assert.Equal(0, ThreadAllocations.Since(mark));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(Batch + 1)]
    public void Chunk_size_out_of_range_is_refused_by_name(int chunk)
    {
        var options = new TrainingOptions { LearningRate = 0.1f, BatchSize = Batch, Steps = 1, ChunkSize = chunk };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate(5000));
        Assert.Equal("ChunkSize", error.ParamName);
    }
}
