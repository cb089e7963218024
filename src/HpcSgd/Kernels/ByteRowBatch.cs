using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HpcSgd.Kernels;

/// <summary>
/// A batch given as rows of a table of 8-bit features, picked by index: sample i of the batch is the
/// <see cref="Width"/> bytes of row <c>indices[i]</c>, each byte b the feature b * <see cref="Scale"/> (8-bit images
/// scaled to [0, 1]). The generated step of a model whose first layer runs in dot form reads such rows itself, widening
/// them inside that layer's forward pass while its arithmetic hides the rows' cache misses; other models widen them first.
/// Either way the step computes exactly what it computes from the widened floats.
/// </summary>
public readonly ref struct ByteRowBatch
{
    /// <summary>The value of one step of a byte: a feature is its byte times this.</summary>
    public const float Scale = 1f / 255f;

    /// <summary>
    /// The batch of rows <paramref name="indices"/> of <paramref name="source"/>, a table of rows of <paramref name="width"/>
    /// bytes. Throws when the width is not positive or an index is not a row of the table (naming its place in the batch).
    /// </summary>
    public ByteRowBatch(ReadOnlySpan<byte> source, int width, ReadOnlySpan<int> indices)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        int rows = source.Length / width;
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)rows)
            {
                ThrowIndex(i, indices[i], rows);
            }
        }
        Source = source;
        Width = width;
        Indices = indices;
    }

    /// <summary>The table of rows.</summary>
    public ReadOnlySpan<byte> Source { get; }

    /// <summary>Bytes per row (features per sample).</summary>
    public int Width { get; }

    /// <summary>The rows of the batch, in order; every one inside <see cref="Source"/>.</summary>
    public ReadOnlySpan<int> Indices { get; }

    /// <summary>Samples in the batch.</summary>
    public int Count => Indices.Length;

    /// <summary>
    /// Writes the batch as floats b * <see cref="Scale"/> into consecutive rows of <paramref name="destination"/>: eight
    /// rows at a time, the next eight rows' lines requested meanwhile, so that many misses are in flight at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WidenInto(Span<float> destination)
    {
        int width = Width;
        ReadOnlySpan<int> indices = Indices;
        if ((long)destination.Length < (long)indices.Length * width)
        {
            throw new ArgumentException(FormattableString.Invariant($"{nameof(destination)} holds {destination.Length} floats but {(long)indices.Length * width} are needed (batch size x width)."), nameof(destination));
        }
        ref byte from = ref MemoryMarshal.GetReference(Source);
        ref float to = ref MemoryMarshal.GetReference(destination);
        const int Rows = 8;
        Span<nint> starts = stackalloc nint[Rows];
        Span<nint> next = stackalloc nint[Rows];
        // The first rows have no group before them whose copy their requests could overlap: ask for all their lines at
        // once (a row of bytes is a few lines).
        for (int r = 0; r < Math.Min(Rows, indices.Length); r++)
        {
            for (nint k = 0; k < width; k += 64)
            {
                CacheHints.Prefetch(ref Unsafe.Add(ref from, (nint)indices[r] * width + k));
            }
        }
        for (int first = 0; first < indices.Length; first += Rows)
        {
            int rows = Math.Min(Rows, indices.Length - first);
            bool ahead = first + Rows + rows <= indices.Length;
            for (int r = 0; r < rows; r++)
            {
                starts[r] = (nint)indices[first + r] * width;
                next[r] = ahead ? (nint)indices[first + Rows + r] * width : 0;
            }
            ref float block = ref Unsafe.Add(ref to, (nint)first * width);
            nint k = 0;
            for (; k + 16 <= width; k += 16)
            {
                if (ahead && k % 64 == 0)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        CacheHints.Prefetch(ref Unsafe.Add(ref from, next[r] + k));
                    }
                }
                for (int r = 0; r < rows; r++)
                {
                    WidenSixteen(ref Unsafe.Add(ref from, starts[r] + k), ref Unsafe.Add(ref block, r * width + k));
                }
            }
            for (; k < width; k++)
            {
                for (int r = 0; r < rows; r++)
                {
                    Unsafe.Add(ref block, r * width + k) = Unsafe.Add(ref from, starts[r] + k) * Scale;
                }
            }
        }
    }

    /// <summary>Asks for the cache line holding <paramref name="item"/> (generated kernels request the rows ahead with it).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(ref byte item) => CacheHints.Prefetch(ref item);

    /// <summary>Sixteen bytes at <paramref name="from"/> as sixteen floats b * Scale at <paramref name="to"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenSixteen(ref byte from, ref float to)
    {
        // 512-bit code only where the runtime accelerates Vector512 (it declines on CPUs that slow down for it).
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            Vector512Ops.Store(Vector512Ops.LoadBytes(ref from, 0), ref to, 0);
        }
        else if (Avx2.IsSupported)
        {
            Vector256Ops.Store(Vector256Ops.LoadBytes(ref from, 0), ref to, 0);
            Vector256Ops.Store(Vector256Ops.LoadBytes(ref from, 8), ref to, 8);
        }
        else
        {
            for (nuint i = 0; i < 16; i += 4)
            {
                Vector128Ops.Store(Vector128Ops.LoadBytes(ref from, i), ref to, i);
            }
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowIndex(int position, int index, int rows) =>
        throw new ArgumentOutOfRangeException("indices", index, FormattableString.Invariant($"indices[{position}] is {index}, which is not a row of the {rows}-row table."));
}
