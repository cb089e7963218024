using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Data;

/// <summary>
/// Copies the samples of a batch, at random places in a data set larger than the caches, into the contiguous rows the
/// kernels read: narrow samples (features and target within 16 floats) one vector each from side-by-side rows, wide ones
/// several rows at a time so that many misses are in flight at once.
/// </summary>
internal sealed class BatchGather<TModel> where TModel : ISgdModel<TModel>
{
    private readonly Dataset<TModel> data;
    private readonly float[]? interleavedRows;

    public BatchGather(Dataset<TModel> data)
    {
        this.data = data;
        interleavedRows = Dataset<TModel>.HasNarrowRows ? data.InterleavedRows : null;
        // Built here, not in the first step: a step allocates nothing.
        _ = data.ByteRows;
    }

    /// <summary>True when the rows are stored as bytes and widened to floats as they are gathered (a quarter of the bytes to fetch).</summary>
    public bool WidensBytes => interleavedRows is null && data.ByteRows is not null;

    /// <summary>Rows ahead whose line a narrow gather requests: far enough to cover a miss, near enough to stay in L1 (benchmarks/README.md).</summary>
    private const int NarrowAhead = 16;

    /// <summary>
    /// When the features are kept as bytes (and not in side-by-side narrow rows), gives the samples
    /// <paramref name="indices"/> as byte rows for the model's step to widen itself, copies their targets into
    /// <paramref name="targets"/> and returns true; otherwise gathers nothing and returns false.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryByteRows(ReadOnlySpan<int> indices, Span<float> targets, out ByteRowBatch rows)
    {
        // Read per batch: Dataset.Replace drops the byte rows when a new sample is not bytes.
        if (interleavedRows is not null || data.ByteRows is not { } bytes)
        {
            rows = default;
            return false;
        }
        rows = new ByteRowBatch(bytes, TModel.Description.InputCount, indices);
        Wide(data.Targets, TModel.Description.TargetWidth, indices, targets);
        return true;
    }

    /// <summary>Copies the features and targets of the samples <paramref name="indices"/> into consecutive rows of the batch buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Rows(ReadOnlySpan<int> indices, Span<float> inputs, Span<float> targets)
    {
        int inputWidth = TModel.Description.InputCount;
        int targetWidth = TModel.Description.TargetWidth;
        if (interleavedRows is not null)
        {
            // One cache line per sample from the side-by-side rows, instead of one from each array; each row's
            // features and target move as one vector each (the widest row part rounded up to 4, 8 or 16 lanes).
            int widest = Math.Max(inputWidth, targetWidth);
            Narrow(indices, inputs, targets, inputWidth, targetWidth, widest <= 4 ? 4 : widest <= 8 ? 8 : 16);
            return;
        }
        // Read per batch: Dataset.Replace drops the byte rows when a new sample is not bytes.
        if (data.ByteRows is { } bytes)
        {
            new ByteRowBatch(bytes, inputWidth, indices).WidenInto(inputs);
        }
        else
        {
            Wide(data.Features, inputWidth, indices, inputs);
        }
        Wide(data.Targets, targetWidth, indices, targets);
    }

    /// <summary>
    /// The narrow gather: per sample, one vector load of its features and one of its target from the side-by-side rows
    /// (padded at the end, so a vector from the last row stays inside the array), each stored whole at the sample's
    /// place in the batch; the lanes past it are overwritten by the next sample's store. The last samples, whose vectors
    /// would reach past the end of the batch buffers, are copied element by element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Narrow(ReadOnlySpan<int> indices, Span<float> inputs, Span<float> targets, int inputWidth, int targetWidth, int lanes)
    {
        // Not generic over the vector width: such a method of this shared generic class is looked up at run time, and
        // that lookup allocated now and then (history in benchmarks/README.md).
        ref float from = ref MemoryMarshal.GetArrayDataReference(interleavedRows!);
        ref float toInputs = ref MemoryMarshal.GetReference(inputs);
        ref float toTargets = ref MemoryMarshal.GetReference(targets);
        nint stride = inputWidth + targetWidth;
        int count = indices.Length;
        // Samples whose whole-vector stores stay inside both batch buffers.
        int whole = Math.Min(count, Math.Min(WholeStores(inputs.Length, inputWidth, lanes), WholeStores(targets.Length, targetWidth, lanes)));
        int b = 0;
        for (; b < whole; b++)
        {
            if (b + NarrowAhead < count)
            {
                CacheHints.Prefetch(ref Unsafe.Add(ref from, indices[b + NarrowAhead] * stride));
            }
            ref float row = ref Unsafe.Add(ref from, indices[b] * stride);
            CopyLanes(ref row, ref Unsafe.Add(ref toInputs, b * inputWidth), lanes);
            CopyLanes(ref Unsafe.Add(ref row, inputWidth), ref Unsafe.Add(ref toTargets, b * targetWidth), lanes);
        }
        for (; b < count; b++)
        {
            ref float row = ref Unsafe.Add(ref from, indices[b] * stride);
            for (int i = 0; i < inputWidth; i++)
            {
                Unsafe.Add(ref toInputs, b * inputWidth + i) = Unsafe.Add(ref row, i);
            }
            for (int t = 0; t < targetWidth; t++)
            {
                Unsafe.Add(ref toTargets, b * targetWidth + t) = Unsafe.Add(ref row, inputWidth + t);
            }
        }
    }

    /// <summary>Copies 4, 8 or 16 floats as one vector (the branch goes the same way for a whole batch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyLanes(ref float from, ref float to, int lanes)
    {
        if (lanes == 4)
        {
            Vector128.LoadUnsafe(ref from).StoreUnsafe(ref to);
        }
        else if (lanes == 8)
        {
            Vector256.LoadUnsafe(ref from).StoreUnsafe(ref to);
        }
        else
        {
            Vector512.LoadUnsafe(ref from).StoreUnsafe(ref to);
        }
    }

    /// <summary>Rows b of width <paramref name="width"/> for which a store of <paramref name="lanes"/> floats at b * width ends inside <paramref name="length"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WholeStores(int length, int width, int lanes) => length < lanes ? 0 : (length - lanes) / width + 1;

    private const int LineFloats = 64 / sizeof(float);

    /// <summary>When <paramref name="request"/>, prefetches the line at float <paramref name="k"/> of each of the rows starting at <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequestLines(ref float from, ReadOnlySpan<nint> rows, nint k, bool request)
    {
        if (request)
        {
            for (int r = 0; r < rows.Length; r++)
            {
                CacheHints.Prefetch(ref Unsafe.Add(ref from, rows[r] + k));
            }
        }
    }

    /// <summary>Copies the rows <paramref name="indices"/> of <paramref name="source"/> into consecutive rows of <paramref name="destination"/>.</summary>
    private static void Wide(ReadOnlySpan<float> source, int width, ReadOnlySpan<int> indices, Span<float> destination)
    {
        ref float from = ref MemoryMarshal.GetReference(source);
        ref float to = ref MemoryMarshal.GetReference(destination);
        if (width < 16)
        {
            // Short rows: an element loop beats a memmove call per row.
            for (int b = 0; b < indices.Length; b++)
            {
                ref float row = ref Unsafe.Add(ref from, (nint)indices[b] * width);
                for (int i = 0; i < width; i++)
                {
                    Unsafe.Add(ref to, b * width + i) = Unsafe.Add(ref row, i);
                }
            }
            return;
        }
        // Rows sit at random places in a data set larger than the caches. Copying eight rows at once, a vector of each
        // in turn, keeps eight independent streams of misses in flight instead of one row's; and while they are copied,
        // the next eight rows are requested a line of each per line copied, so their first misses do not wait for the
        // copy before them.
        const int Rows = 8;
        Span<nint> starts = stackalloc nint[Rows];
        Span<nint> next = stackalloc nint[Rows];
        int first = 0;
        for (; first + Rows <= indices.Length; first += Rows)
        {
            bool ahead = first + 2 * Rows <= indices.Length;
            for (int r = 0; r < Rows; r++)
            {
                starts[r] = (nint)indices[first + r] * width;
                next[r] = ahead ? (nint)indices[first + Rows + r] * width : 0;
            }
            ref float block = ref Unsafe.Add(ref to, (nint)first * width);
            nint k = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; k + Vector512<float>.Count <= width; k += Vector512<float>.Count)
                {
                    RequestLines(ref from, next, k, ahead);
                    for (int r = 0; r < Rows; r++)
                    {
                        Vector512.LoadUnsafe(ref Unsafe.Add(ref from, starts[r] + k)).StoreUnsafe(ref Unsafe.Add(ref block, r * width + k));
                    }
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (; k + Vector256<float>.Count <= width; k += Vector256<float>.Count)
                {
                    RequestLines(ref from, next, k, ahead && k % LineFloats == 0);
                    for (int r = 0; r < Rows; r++)
                    {
                        Vector256.LoadUnsafe(ref Unsafe.Add(ref from, starts[r] + k)).StoreUnsafe(ref Unsafe.Add(ref block, r * width + k));
                    }
                }
            }
            for (; k + Vector128<float>.Count <= width; k += Vector128<float>.Count)
            {
                RequestLines(ref from, next, k, ahead && k % LineFloats == 0);
                for (int r = 0; r < Rows; r++)
                {
                    Vector128.LoadUnsafe(ref Unsafe.Add(ref from, starts[r] + k)).StoreUnsafe(ref Unsafe.Add(ref block, r * width + k));
                }
            }
            for (; k < width; k++)
            {
                for (int r = 0; r < Rows; r++)
                {
                    Unsafe.Add(ref block, r * width + k) = Unsafe.Add(ref from, starts[r] + k);
                }
            }
        }
        for (; first < indices.Length; first++)
        {
            source.Slice(indices[first] * width, width).CopyTo(destination.Slice(first * width, width));
        }
    }
}
