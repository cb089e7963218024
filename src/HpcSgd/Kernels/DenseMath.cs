using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace HpcSgd.Kernels;

/// <summary>
/// Vector loops the generated dense-layer kernels are built from. Every method is inlined into the
/// generated kernel, which passes its lengths as literals: after inlining the JIT sees constant trip
/// counts, folds the remainder loop away when the length is a multiple of the width, and keeps one
/// copy per register width (see <see cref="IVectorOps{TVector}"/>).
/// </summary>
public static class DenseMath
{
    /// <summary>Returns sum over i &lt; length of a[i] * b[i], with two accumulators to hide FMA latency.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot<TOps, TVec>(ref float a, ref float b, int length)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        nuint n = (nuint)length;
        nuint width = (nuint)TOps.Count;
        nuint i = 0;
        float sum = 0f;
        if (n >= width)
        {
            TVec acc0 = TOps.Zero, acc1 = TOps.Zero;
            for (; i + 2 * width <= n; i += 2 * width)
            {
                acc0 = TOps.MultiplyAdd(TOps.Load(ref a, i), TOps.Load(ref b, i), acc0);
                acc1 = TOps.MultiplyAdd(TOps.Load(ref a, i + width), TOps.Load(ref b, i + width), acc1);
            }
            if (i + width <= n)
            {
                acc0 = TOps.MultiplyAdd(TOps.Load(ref a, i), TOps.Load(ref b, i), acc0);
                i += width;
            }
            sum = TOps.Sum(TOps.Add(acc0, acc1));
        }
        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        }
        return sum;
    }

    /// <summary>Sets y[i] += scale * x[i] for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled<TOps, TVec>(ref float y, ref float x, float scale, int length)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        nuint n = (nuint)length;
        nuint width = (nuint)TOps.Count;
        nuint i = 0;
        TVec s = TOps.Broadcast(scale);
        for (; i + width <= n; i += width)
        {
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref x, i), s, TOps.Load(ref y, i)), ref y, i);
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) += scale * Unsafe.Add(ref x, i);
        }
    }

    /// <summary>Sets y[i] *= factor for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scale<TOps, TVec>(ref float y, int length, float factor)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        nuint n = (nuint)length;
        nuint width = (nuint)TOps.Count;
        nuint i = 0;
        TVec f = TOps.Broadcast(factor);
        for (; i + width <= n; i += width)
        {
            TOps.Store(TOps.Multiply(TOps.Load(ref y, i), f), ref y, i);
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref y, i) *= factor;
        }
    }

    /// <summary>Sets y[i] = 0 for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear(ref float y, int length) =>
        Unsafe.InitBlockUnaligned(ref Unsafe.As<float, byte>(ref y), 0, (uint)length * sizeof(float));

    /// <summary>
    /// sums[j] = sum over r &lt; rows of m[r * width + j], for j &lt; width: the bias gradient from a batch of deltas;
    /// with <paramref name="addToSums"/> the column sums are added to what <paramref name="sums"/> holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ColumnSums<TOps, TVec>(ref float m, int rows, int width, ref float sums, bool addToSums)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        if (!addToSums)
        {
            Clear(ref sums, width);
        }
        for (nuint r = 0; r < (nuint)rows; r++)
        {
            AddScaled<TOps, TVec>(ref sums, ref Unsafe.Add(ref m, r * (nuint)width), 1f, width);
        }
    }

    /// <summary>
    /// For each of <paramref name="rows"/> samples adds <paramref name="scale"/> |delta_b|^2 (|x_b|^2 + 1) to norms[b]: the
    /// squared norm of a dense layer's weight and bias gradient for that sample, from its dL/dz row
    /// (<paramref name="deltaWidth"/> floats) and its input row (<paramref name="inputWidth"/> floats), whose squared
    /// norms are read from <paramref name="knownSquaredNorms"/> instead when <paramref name="known"/>.
    /// </summary>
    public static void AddLayerGradientNorms(ref float delta, int deltaWidth, ref float x, int inputWidth, int rows, float scale,
        ref float knownSquaredNorms, bool known, ref float norms)
    {
        for (int b = 0; b < rows; b++)
        {
            float d = TensorPrimitives.SumOfSquares(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref delta, (nint)b * deltaWidth), deltaWidth));
            float xx = known ? Unsafe.Add(ref knownSquaredNorms, b)
                : TensorPrimitives.SumOfSquares(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x, (nint)b * inputWidth), inputWidth));
            Unsafe.Add(ref norms, b) += scale * d * (xx + 1f);
        }
    }

    /// <summary>
    /// Per-sample squared gradient norms of linear regression with one output and squared error: the residual
    /// r = x.w + bias - y gives grad l_b = 2 r (x, 1), so norms[b] = 4 r^2 (|x_b|^2 + 1).
    /// </summary>
    public static void RegressionGradientNorms(ref float weights, float bias, ref float x, ref float y, int inputs, int rows,
        ref float knownSquaredNorms, bool known, ref float norms)
    {
        ReadOnlySpan<float> w = MemoryMarshal.CreateReadOnlySpan(ref weights, inputs);
        for (int b = 0; b < rows; b++)
        {
            ReadOnlySpan<float> row = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x, (nint)b * inputs), inputs);
            float r = TensorPrimitives.Dot(row, w) + bias - Unsafe.Add(ref y, b);
            float xx = known ? Unsafe.Add(ref knownSquaredNorms, b) : TensorPrimitives.SumOfSquares(row);
            Unsafe.Add(ref norms, b) = 4f * r * r * (xx + 1f);
        }
    }

    /// <summary>
    /// Writes into <paramref name="indices"/> the positions i &lt; <paramref name="length"/> with values[i] != 0, in
    /// order, and returns how many. Branch-free (every position is written, the count advances only for a nonzero
    /// value), so a random zero pattern costs no mispredictions; <paramref name="indices"/> must hold
    /// <paramref name="length"/> ints.
    /// </summary>
    public static int NonzeroIndices(ref float values, int length, ref int indices)
    {
        int count = 0;
        for (int i = 0; i < length; i++)
        {
            Unsafe.Add(ref indices, count) = i;
            count += Unsafe.Add(ref values, i) != 0f ? 1 : 0;
        }
        return count;
    }

    /// <summary>How many of values[0 .. length) are zero (either sign).</summary>
    public static int CountZeros(ref float values, int length)
    {
        int zeros = 0;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<float>.Count <= length; i += Vector512<float>.Count)
            {
                zeros += BitOperations.PopCount(Vector512.Equals(Vector512.LoadUnsafe(ref values, (nuint)i), Vector512<float>.Zero).ExtractMostSignificantBits());
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<float>.Count <= length; i += Vector256<float>.Count)
            {
                zeros += BitOperations.PopCount(Vector256.Equals(Vector256.LoadUnsafe(ref values, (nuint)i), Vector256<float>.Zero).ExtractMostSignificantBits());
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + Vector128<float>.Count <= length; i += Vector128<float>.Count)
            {
                zeros += BitOperations.PopCount(Vector128.Equals(Vector128.LoadUnsafe(ref values, (nuint)i), Vector128<float>.Zero).ExtractMostSignificantBits());
            }
        }
        for (; i < length; i++)
        {
            zeros += Unsafe.Add(ref values, i) == 0f ? 1 : 0;
        }
        return zeros;
    }
}
