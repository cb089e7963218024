using System;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>
/// Register-tile sizes per product shape. The budget is AVX-512's 32 registers: MR x NR accumulators, MR
/// broadcast (or A-row) registers and one B register, kept at or under ~26 so RyuJIT does not spill (it does
/// not reorder to cut register pressure). Sizes are chosen for 16-lane vectors; narrower widths reuse them.
/// </summary>
internal static class TilePlanner
{
    /// <summary>Lanes the tile sizes are chosen for (Vector512 of float).</summary>
    public const int PlanningLanes = 16;

    /// <summary>
    /// Depth per block in the broadcast form: a block x NR-vector panel of B is then 32 KiB, which stays in L1 (48 KiB
    /// on current x64 cores) while every row strip passes over it, instead of streaming from L2 once per strip.
    /// </summary>
    public static int DepthBlock(int vectors) => 32 * 1024 / (vectors * PlanningLanes * sizeof(float));

    /// <summary>MR rows x NR vectors of C per tile, for the broadcast form.</summary>
    public static (int Rows, int Vectors) Broadcast(int? rows, int columns)
    {
        // 8 x 2 measured fastest for the W4 shapes (4 x 4 streams twice the B bytes per FMA from L2; 6 x 4 spills).
        int vectors = Math.Max(1, Math.Min(2, columns / PlanningLanes));
        int mr = vectors == 2 ? 8 : 12;
        if (rows is int m && m < mr)
        {
            // Few rows (small batch, matrix-vector): widen the tile along the columns instead.
            mr = m;
            vectors = Math.Max(1, Math.Min(Math.Max(1, columns / PlanningLanes), 24 / mr - 1));
            vectors = Math.Min(vectors, 8);
        }
        return (mr, vectors);
    }

    /// <summary>
    /// MR rows of A x NR rows of B per tile, for the dot form (vectors along the depth). A streams from L2 while B's
    /// rows stay in L1, so NR is as large as the registers allow (each A vector then feeds NR multiply-adds).
    /// </summary>
    public static (int Rows, int Columns) Dot(int? rows, int columns)
    {
        int nr = columns == 1 ? 1 : Array.Find(new[] { 10, 8, 6, 5, 4, 3, 2 }, c => columns % c == 0);
        if (nr == 0)
        {
            nr = Math.Min(columns, 8);
        }
        int mr = nr == 1 ? 8 : Math.Max(1, Math.Min(4, 22 / nr));
        if (rows is int m && m < mr)
        {
            mr = m;
            nr = Math.Min(columns, Math.Min(12, 24 / mr - 1));
        }
        return (mr, nr);
    }
}
