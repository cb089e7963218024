using System.Buffers.Binary;
using System.IO.Compression;
using HpcSgd.Data;

namespace HpcSgd.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hpcsgd-idx-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static byte[] Idx(byte type, int[] dimensions, byte[] body)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)dimensions.Length };
        foreach (int d in dimensions)
        {
            var four = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(four, d);
            bytes.AddRange(four);
        }
        bytes.AddRange(body);
        return bytes.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    private string Write(string name, byte[] content)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnsignedBytes_PlainOrGzip_ReadWithShape(bool compressed)
    {
        byte[] body = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();
        byte[] file = Idx(0x08, [2, 3, 4], body);
        IdxArray array = IdxFile.Read(Write("a.idx", compressed ? Gzip(file) : file));

        Assert.Equal([2, 3, 4], array.Dimensions);
        Assert.Equal(12, array.ItemSize);
        Assert.Equal(body.Select(b => (float)b), array.Values);
    }

    [Fact]
    public void EveryElementType_IsReadBigEndian()
    {
        var int16 = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(int16, -300);
        BinaryPrimitives.WriteInt16BigEndian(int16.AsSpan(2), 1234);
        Assert.Equal([-300f, 1234f], IdxFile.Read(Write("s.idx", Idx(0x0B, [2], int16))).Values);

        var int32 = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(int32, -70000);
        Assert.Equal([-70000f], IdxFile.Read(Write("i.idx", Idx(0x0C, [1], int32))).Values);

        var single = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(single, -1.5f);
        Assert.Equal([-1.5f], IdxFile.Read(Write("f.idx", Idx(0x0D, [1], single))).Values);

        var dbl = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(dbl, 0.25);
        Assert.Equal([0.25f], IdxFile.Read(Write("d.idx", Idx(0x0E, [1], dbl))).Values);

        Assert.Equal([-1f, 127f], IdxFile.Read(Write("b.idx", Idx(0x09, [2], [0xFF, 0x7F]))).Values);
    }

    [Fact]
    public void LargeGzipFile_SpanningManyChunks_RoundTrips()
    {
        byte[] body = Enumerable.Range(0, 300_000).Select(i => (byte)(i % 251)).ToArray();
        IdxArray array = IdxFile.Read(Write("big.gz", Gzip(Idx(0x08, [1000, 300], body))));
        Assert.Equal(300_000, array.Values.Length);
        Assert.Equal(299_999 % 251, array.Values[^1]);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 8, 1, 0, 0, 0, 1, 5 }, 0, "starts with bytes 0x01 0x00")]
    [InlineData(new byte[] { 0, 0, 0x07, 1, 0, 0, 0, 1, 5 }, 2, "element type code 0x07")]
    [InlineData(new byte[] { 0, 0, 8, 0 }, 3, "declares 0 dimensions")]
    [InlineData(new byte[] { 0, 0, 8 }, 3, "ends after 3 bytes")]
    [InlineData(new byte[] { 0, 0, 8, 2, 0, 0, 0, 1 }, 8, "dimension 1 of 2 is missing")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF }, 4, "declares dimension 0 as -1")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 3, 1, 2 }, 10, "is truncated: the header declares [3] unsigned byte elements (3 bytes of data) but only 2 follow it")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 1, 1, 2 }, 9, "has bytes after the 1 elements")]
    public void BadFiles_NameFileOffsetAndProblem(byte[] content, long offset, string problem)
    {
        string path = Write("bad.idx", content);
        IdxFormatException error = Assert.Throws<IdxFormatException>(() => IdxFile.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.Equal(offset, error.Offset);
        Assert.Contains(problem, error.Message);
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_header_claiming_a_billion_items_allocates_by_what_follows_it(bool compressed)
    {
        // Issue #16 item 4: the array must follow the bytes present, not a header's claim of 2^30 items.
        byte[] content = [0, 0, 8, 1, 0x40, 0, 0, 0, 7];
        string path = Write(compressed ? "claims.gz" : "claims.idx", compressed ? Gzip(content) : content);
        IdxFile.Read(Write("warm.idx", Idx(0x08, [1], [1]))); // JIT and first-use allocations out of the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        IdxFormatException error = Assert.Throws<IdxFormatException>(() => IdxFile.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("is truncated: the header declares [1073741824] unsigned byte elements (1,073,741,824 bytes of data) but only 1 follow it", error.Message);
        Assert.True(allocated < 2_000_000, $"{allocated:N0} bytes allocated for a {content.Length}-byte file");
    }

    [Fact]
    public void TruncatedGzip_IsReportedAsTruncatedData()
    {
        byte[] gz = Gzip(Idx(0x08, [100, 100], Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray()));
        string path = Write("cut.gz", gz[..(gz.Length / 2)]);
        IdxFormatException error = Assert.Throws<IdxFormatException>(() => IdxFile.Read(path));
        Assert.Contains("(gzip)", error.Message);
    }

    [Fact]
    public void CorruptGzip_IsAFormatError_NotACrash()
    {
        byte[] gz = Gzip(Idx(0x08, [10], new byte[10]));
        for (int i = 10; i < gz.Length - 8; i++)
        {
            gz[i] ^= 0x5A;
        }
        string path = Write("corrupt.gz", gz);
        Assert.Throws<IdxFormatException>(() => IdxFile.Read(path));
    }

    [Fact]
    public void FashionMnist_ChecksShapesAndLabels()
    {
        byte[] pixels = Enumerable.Range(0, 2 * 784).Select(i => (byte)(i % 256)).ToArray();
        Write("train-images-idx3-ubyte.gz", Gzip(Idx(0x08, [2, 28, 28], pixels)));
        Write("train-labels-idx1-ubyte.gz", Gzip(Idx(0x08, [2], [3, 9])));
        LabeledImages set = FashionMnist.Load(train: true, folder);
        Assert.Equal(2, set.Count);
        Assert.Equal([3, 9], set.Labels);
        Assert.Equal(255f / 255f, set.Pixels[255]);
        Assert.Equal(1f / 255f, set.Pixels[1], 6);

        Write("train-labels-idx1-ubyte.gz", Gzip(Idx(0x08, [2], [3, 10])));
        Assert.Contains("label 10 for image 1", Assert.Throws<IdxFormatException>(() => FashionMnist.Load(true, folder)).Message);

        Write("train-labels-idx1-ubyte.gz", Gzip(Idx(0x08, [3], [3, 1, 2])));
        Assert.Contains("not one label per each of the 2 images", Assert.Throws<IdxFormatException>(() => FashionMnist.Load(true, folder)).Message);

        FileNotFoundException missing = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(train: false, folder));
        Assert.Contains("apt-get install dataset-fashion-mnist", missing.Message);
    }

    /// <summary>
    /// The real files from Debian's package. CI installs it and sets HPCSGD_REQUIRE_FASHION_MNIST=1, so there a
    /// missing package fails the test; elsewhere the test checks the files only when they are present.
    /// </summary>
    [Fact]
    public void RealFashionMnist_HasTheDocumentedShape()
    {
        bool required = Environment.GetEnvironmentVariable("HPCSGD_REQUIRE_FASHION_MNIST") == "1";
        if (!required && !Directory.Exists(FashionMnist.DefaultDirectory))
        {
            return;
        }
        LabeledImages train = FashionMnist.Load(train: true);
        LabeledImages test = FashionMnist.Load(train: false);
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(60_000 * 784, train.Pixels.Length);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6_000, train.Labels.Count(l => l == c)));
        Assert.InRange(train.Pixels.Max(), 0.99f, 1f);
        Assert.Equal(0f, train.Pixels.Min());
    }
}
