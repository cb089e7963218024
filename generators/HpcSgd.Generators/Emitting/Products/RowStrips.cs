using System;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>The loop over the rows of a product's result, shared by both product forms.</summary>
internal static class RowStrips
{
    /// <summary>
    /// Writes <c>m</c> stepping through <paramref name="rows"/> in strips of <paramref name="mr"/>, then the leftover rows:
    /// one narrower strip when the row count is known, else one-row strips. <paramref name="strip"/> writes a strip's body
    /// for the given number of rows.
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
        else
        {
            using (w.Open($"for (; m < {rows.Expression}; m++)"))
            {
                strip(1);
            }
        }
    }
}
