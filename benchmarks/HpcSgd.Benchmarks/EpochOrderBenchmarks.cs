using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace HpcSgd.Benchmarks;

/// <summary>A data set's shape for <see cref="EpochOrderBenchmarks"/>: rows of features + target, and the batch size.</summary>
public sealed record RowShape(string Name, int Rows, int Width, int Batch)
{
    public override string ToString() => $"{Name}/B{Batch}";
}

/// <summary>
/// Issue #3 asks whether to permute the data once per epoch into contiguous order instead of gathering rows per step.
/// Both move every row once per epoch in the shuffled order; one operation is one epoch of steps:
/// gathering each step's rows into a batch buffer and reading it (what TrainingSession does), against copying the
/// whole data set into epoch order once per epoch and reading each step's rows from that copy in place. The copy
/// loops are written here (Vector512 rows, the same for both) so that only the strategy differs.
/// </summary>
[MemoryDiagnoser]
public class EpochOrderBenchmarks
{
    public static IEnumerable<RowShape> Shapes() =>
    [
        new("W1 (10^6 x 1+1)", 1_000_000, 2, 32),
        new("W1 (10^6 x 1+1)", 1_000_000, 2, 2048),
        new("W2 (10^6 x 64+1)", 1_000_000, 65, 32),
        new("W2 (10^6 x 64+1)", 1_000_000, 65, 2048),
        new("Fashion (60,000 x 784+1)", 60_000, 785, 64),
    ];

    [ParamsSource(nameof(Shapes))]
    public RowShape Shape { get; set; } = new("W1", 1_000_000, 2, 32);

    private float[] data = [];
    private float[] permuted = [];
    private float[] batch = [];
    private int[] order = [];

    private int Steps => Shape.Rows / Shape.Batch;

    [GlobalSetup]
    public void Setup()
    {
        data = new float[(long)Shape.Rows * Shape.Width];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = i % 1000;
        }
        order = Enumerable.Range(0, Shape.Rows).ToArray();
        new Random(2).Shuffle(order);
        permuted = new float[data.Length];
        permuted.AsSpan().Fill(0f); // touch every page before the timed copies
        batch = new float[Shape.Batch * Shape.Width];
    }

    /// <summary>Per step: the step's rows gathered into a batch buffer (in L1/L2), then read. Returns a checksum per step.</summary>
    [Benchmark(Baseline = true)]
    public float GatherPerStep()
    {
        float sink = 0f;
        int rows = Shape.Batch;
        for (int step = 0; step < Steps; step++)
        {
            CopyRows(data, Shape.Width, order, step * rows, rows, batch, 0);
            sink += Read(batch, 0, rows * Shape.Width);
        }
        return sink / Steps;
    }

    /// <summary>Per epoch: the whole data set copied into epoch order; per step: the step's rows read in place from the copy.</summary>
    [Benchmark]
    public float PermuteOncePerEpoch()
    {
        CopyRows(data, Shape.Width, order, 0, Steps * Shape.Batch, permuted, 0);
        float sink = 0f;
        int floats = Shape.Batch * Shape.Width;
        for (int step = 0; step < Steps; step++)
        {
            sink += Read(permuted, (long)step * floats, floats);
        }
        return sink / Steps;
    }

    private static void CopyRows(float[] source, int width, int[] order, int first, int count, float[] destination, int destinationRow)
    {
        ref float from = ref MemoryMarshal.GetArrayDataReference(source);
        ref float to = ref MemoryMarshal.GetArrayDataReference(destination);
        for (int b = 0; b < count; b++)
        {
            ref float row = ref Unsafe.Add(ref from, (nint)order[first + b] * width);
            ref float copy = ref Unsafe.Add(ref to, (nint)(destinationRow + b) * width);
            int k = 0;
            for (; k + Vector512<float>.Count <= width; k += Vector512<float>.Count)
            {
                Vector512.LoadUnsafe(ref row, (nuint)k).StoreUnsafe(ref copy, (nuint)k);
            }
            for (; k < width; k++)
            {
                Unsafe.Add(ref copy, k) = Unsafe.Add(ref row, k);
            }
        }
    }

    /// <summary>Stands in for the kernel's read of the batch: a vector sum over it.</summary>
    private static float Read(float[] buffer, long start, int count)
    {
        ref float first = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buffer), (nint)start);
        Vector512<float> sum = Vector512<float>.Zero;
        int k = 0;
        for (; k + Vector512<float>.Count <= count; k += Vector512<float>.Count)
        {
            sum += Vector512.LoadUnsafe(ref first, (nuint)k);
        }
        float total = Vector512.Sum(sum);
        for (; k < count; k++)
        {
            total += Unsafe.Add(ref first, k);
        }
        return total;
    }
}
