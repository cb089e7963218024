using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>The chunk size a session picks by itself, for the benchmark workloads' shapes on cores of 1 and 2 MiB of L2.</summary>
public class ChunkingRuleTests
{
    private static readonly int[] BenchmarkBatchSizes = [1, 8, 32, 64, 128, 256, 512, 1024, 2048];
    private const long OneMiB = 1 << 20;

    private static int Rows<TModel>(int rowsPerPass, long l2Bytes, IReadOnlyList<int> declared) where TModel : ISgdModel<TModel> =>
        ChunkingRule.Rows(TModel.Description.InputCount, TModel.Description.ParameterCount, TModel.WorkspaceLength, declared, rowsPerPass, l2Bytes);

    [Theory]
    [InlineData(64, 0)]
    [InlineData(128, 0)] // 0.4 MB of inputs: the pass fits in half the L2
    [InlineData(256, 128)]
    [InlineData(512, 128)]
    [InlineData(2048, 128)]
    public void Softmax_regression_passes_go_in_chunks_that_fit_half_a_1_MiB_L2(int rows, int expected) =>
        Assert.Equal(expected, Rows<FashionSoftmaxGeneral>(rows, OneMiB, BenchmarkBatchSizes));

    [Theory]
    [InlineData(128, 0)]
    [InlineData(256, 0)] // 0.9 MB: fits in half of 2 MiB
    [InlineData(512, 256)]
    public void A_larger_L2_takes_larger_chunks(int rows, int expected) =>
        Assert.Equal(expected, Rows<FashionSoftmaxGeneral>(rows, 2 * OneMiB, BenchmarkBatchSizes));

    [Theory]
    [InlineData(64, 0)]
    [InlineData(128, 0)]
    [InlineData(256, 0)] // no chunk fits (the parameters alone take 0.4 MB) and the pass is under twice the L2
    [InlineData(512, 256)] // beyond twice the L2: the largest declared size
    [InlineData(2048, 256)]
    public void Where_no_chunk_fits_only_passes_beyond_twice_the_L2_are_chunked(int rows, int expected) =>
        Assert.Equal(expected, Rows<FashionMlpGeneral>(rows, OneMiB, BenchmarkBatchSizes));

    [Fact]
    public void Chunks_are_declared_batch_sizes_from_64_to_256_else_128()
    {
        Assert.Equal(64, Rows<FashionSoftmaxGeneral>(512, OneMiB, [1, 64, 300]));
        Assert.Equal(128, Rows<FashionSoftmaxGeneral>(512, OneMiB, []));
        Assert.Equal(128, Rows<FashionSoftmaxGeneral>(512, OneMiB, [32, 1024]));
        Assert.Equal(64, Rows<FashionMlpGeneral>(2048, OneMiB, [1, 64, 300])); // FashionMlp's own declaration
    }

    [Fact]
    public void A_chunk_is_smaller_than_the_pass_it_splits()
    {
        // 200 rows exceed half the L2; 256 does not split them, 128 fits.
        Assert.Equal(128, Rows<FashionSoftmaxGeneral>(200, OneMiB, BenchmarkBatchSizes));
        // Only 256 declared and the pass is smaller: nothing to split into.
        Assert.Equal(0, Rows<FashionSoftmaxGeneral>(200, OneMiB, [256]));
    }
}
