using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HpcSgd.Kernels;

/// <summary>
/// Copies of a product's operand in the order its register tiles read them (BLIS packs both operands for the same
/// reason). Pure data movement: a kernel reading the copy performs the same multiply-adds in the same order.
/// </summary>
public static class Packing
{
    /// <summary>
    /// Packs A(m, k) = a[k * <paramref name="depthStride"/> + m] (A read across its rows, e.g. x^T in a weight
    /// gradient, whose every depth step is a new cache line) into strips of <paramref name="stripRows"/> rows: the strip
    /// at row m starts at packed[m * depth] and holds its rows' elements depth step after depth step, so a tile reads
    /// one sequential stream. The last strip holds the rows left over. <paramref name="packed"/> takes rows x depth floats.
    /// </summary>
    /// <param name="a">A(0, 0).</param>
    /// <param name="depthStride">Floats between A(m, k) and A(m, k + 1); at least <paramref name="rows"/>.</param>
    /// <param name="rows">Rows of A.</param>
    /// <param name="depth">Depth steps of A to pack.</param>
    /// <param name="stripRows">Rows per strip (the tile's rows).</param>
    /// <param name="packed">The copy's first element.</param>
    // Called once per depth block: kept out of line so it costs the calling kernel none of the JIT's inlining budget.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void TransposedStrips(ref float a, nuint depthStride, nuint rows, nuint depth, nuint stripRows, ref float packed)
    {
        for (nuint m = 0; m < rows; m += stripRows)
        {
            nuint width = rows - m < stripRows ? rows - m : stripRows;
            ref float source = ref Unsafe.Add(ref a, m);
            ref float target = ref Unsafe.Add(ref packed, m * depth);
            // Eight floats at a time: a row's copy overwrites the start of the next one's before that is written. Steps
            // whose eight would pass the end of the copy (or, the last one, of A) are copied exactly.
            nuint steps = depth;
            nuint room = (rows - m) * depth;
            if (width <= 8 && depthStride >= 8 && room >= 8 && Vector128.IsHardwareAccelerated)
            {
                nuint vectorSteps = Math.Min(depth, (room - 8) / width + 1);
                if (vectorSteps == depth && m + 8 > rows)
                {
                    vectorSteps--;
                }
                for (nuint k = 0; k < vectorSteps; k++)
                {
                    CopyEight(ref Unsafe.Add(ref source, k * depthStride), ref Unsafe.Add(ref target, k * width));
                }
                steps = depth - vectorSteps;
                source = ref Unsafe.Add(ref source, vectorSteps * depthStride);
                target = ref Unsafe.Add(ref target, vectorSteps * width);
            }
            for (nuint k = 0; k < steps; k++)
            {
                for (nuint r = 0; r < width; r++)
                {
                    Unsafe.Add(ref target, k * width + r) = Unsafe.Add(ref source, k * depthStride + r);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyEight(ref float source, ref float target)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256.LoadUnsafe(ref source).StoreUnsafe(ref target);
        }
        else
        {
            Vector128<float> low = Vector128.LoadUnsafe(ref source), high = Vector128.LoadUnsafe(ref source, 4);
            low.StoreUnsafe(ref target);
            high.StoreUnsafe(ref target, 4);
        }
    }
}
