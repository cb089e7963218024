using System;
using System.Linq;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>The loop over the rows of a product's result, shared by both product forms.</summary>
internal static class RowStrips
{
    /// <summary>
    /// Writes <c>m</c> stepping through <paramref name="rows"/> in strips of <paramref name="mr"/>, then the leftover rows:
    /// one narrower strip when the row count is known; in shared kernels, one per leftover their sizes leave, each under
    /// a condition the JIT folds; else one-row strips. <paramref name="strip"/> writes a strip's body for the given
    /// number of rows.
    /// </summary>
    public static void Write(IndentedWriter w, Extent rows, int mr, Action<int> strip)
    {
        w.Line("nuint m = 0;");
        using (w.Open($"for (; m + {mr} <= {rows.Expression}; m += {mr})"))
        {
            strip(mr);
        }
        if (rows.Value is int known)
        {
            if (known % mr != 0)
            {
                using (w.Open())
                {
                    strip(known % mr);
                }
            }
        }
        else if (rows.Candidates is int[] sizes)
        {
            bool first = true;
            foreach (int leftover in sizes.Select(size => size % mr).Where(r => r != 0).Distinct().OrderBy(r => r))
            {
                using (w.Open($"{(first ? "" : "else ")}if ({rows.Expression} % {mr} == {leftover})"))
                {
                    strip(leftover);
                }
                first = false;
            }
        }
        else
        {
            using (w.Open($"for (; m < {rows.Expression}; m++)"))
            {
                strip(1);
            }
        }
    }
}
