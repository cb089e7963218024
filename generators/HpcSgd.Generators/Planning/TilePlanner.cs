using System;
using System.Linq;

namespace HpcSgd.Generators.Planning;

/// <summary>
/// Register tiles per product shape and target. RyuJIT allocates registers in program order and does not reorder to
/// relieve pressure, so a tile must fit the target's registers as written (<see cref="Tile.Registers"/>), or it
/// spills inside the inner step. With 32 registers (AVX-512, NEON) the tiles are the ones measured fastest on AVX-512;
/// with 16 (AVX2, x64 128-bit, scalar) they follow BLIS's Haswell/Zen microkernel: 6 rows x 2 vectors, B loaded first,
/// 12 accumulators + 2 B + 1 broadcast = 15 registers.
/// </summary>
internal static class TilePlanner
{
    /// <summary>
    /// Depth per block in the broadcast form: a block x 2-vector panel of 16-lane B is 32 KiB, which stays in L1 (32-48
    /// KiB on current x64 and ARM cores; narrower targets' panels are smaller still) while every row strip passes over
    /// it. It depends on the columns only, never on the target or batch size, so every kernel of a product adds
    /// partial sums in the same order.
    /// </summary>
    public static int DepthBlock(int columns) => 32 * 1024 / (Math.Max(1, Math.Min(2, columns / 16)) * 16 * sizeof(float));

    /// <summary>
    /// Whether a tile of the broadcast form reads B from a packed copy of each panel. B's rows lie
    /// <paramref name="columns"/> floats apart; when that stride is a multiple of several cache lines, the rows fall into
    /// a fraction of the L1 sets (the set index repeats every way's size, the same on current x64 and ARM cores), so a
    /// panel deeper than those sets hold with half their ways (the other half is A's) evicts itself, and every row strip
    /// reads it from L2 again. Packed, the panel is sequential, as BLIS packs it: where more than one row strip reads it,
    /// and where the copy (depth x the tile's vectors) takes at most half of the L1, leaving room for A.
    /// </summary>
    public static bool PacksB(int? rows, int columns, int panelDepth, Tile tile, int lanes, bool? tuned = null)
    {
        const int lineFloats = 64 / sizeof(float), sets = 64, ways = 8, halfL1 = 16 * 1024;
        if (columns % lineFloats != 0 || (rows is int m && m <= tile.Rows) || panelDepth * tile.Columns * lanes * sizeof(float) > halfL1)
        {
            return false;
        }
        int lineStride = columns / lineFloats % sets;
        int setsTouched = sets / Gcd(lineStride == 0 ? sets : lineStride, sets);
        return tuned ?? panelDepth > setsTouched * ways / 2;
    }

    /// <summary>
    /// Whether a tile of the broadcast form reads A from a copy packed in strips of its rows
    /// (<c>Kernels.Packing.TransposedStrips</c>). A read across its rows (a weight gradient's x^T:
    /// <paramref name="aDepthStride"/> floats between depth steps, null when A runs along its rows) takes a new cache
    /// line for every depth step of every row strip, and every column panel reads the strips again; packed once, each
    /// strip is one sequential stream. Where more than one column panel reads A, the depth steps are lines apart, and
    /// the target has 16 registers (the 32-register targets read A in place until the copy is shown to pay there; benchmarks/README.md, issue #13).
    /// <paramref name="tuned"/> (<see cref="PlanTuning.PacksA"/>), when set, replaces the register condition.
    /// </summary>
    public static bool PacksA(int? aDepthStride, int columns, Tile tile, KernelTarget target, bool? tuned = null)
    {
        const int lineFloats = 64 / sizeof(float);
        return aDepthStride >= lineFloats && columns > tile.Columns * target.Lanes && (tuned ?? target.Registers < 32);
    }

    /// <summary>
    /// The tiles (one per target, in <see cref="KernelTarget.All"/>'s order) with <see cref="Tile.PacksB"/> and
    /// <see cref="Tile.PacksA"/> set; targets with the same tile pack as the first of them (the widest), so they still
    /// share one kernel. B kept in panels (<paramref name="bInPanels"/>: weights in the layout the copy would make) is never copied.
    /// </summary>
    public static Tile[] WithPacking(Tile[] tiles, int? rows, int columns, int panelDepth, int? aDepthStride, PlanTuning? tuning = null, bool bInPanels = false) =>
        tiles.Select((tile, i) =>
        {
            int first = Array.IndexOf(tiles, tile);
            return tile with
            {
                PacksB = !bInPanels && PacksB(rows, columns, panelDepth, tiles[first], KernelTarget.All[first].Lanes, tuning?.PacksB),
                PacksA = PacksA(aDepthStride, columns, tiles[first], KernelTarget.All[first], tuning?.PacksA),
            };
        }).ToArray();

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>The broadcast form's tile for C with <paramref name="rows"/> rows (null: any) and <paramref name="columns"/> floats per row.</summary>
    public static Tile Broadcast(int? rows, int columns, KernelTarget target) =>
        target.Registers >= 32 ? BroadcastWide(rows, columns, target.Lanes) : BroadcastNarrow(rows, columns, target.Lanes, target.Registers - 1);

    /// <summary>32 registers: 8 x 2 for wide layers (measured fastest for the W4 shapes on AVX-512; 4 x 4 streams twice the B bytes per FMA from L2; 6 x 4 spills), 12 x 1 for one vector, wider along the columns for few rows.</summary>
    private static Tile BroadcastWide(int? rows, int columns, int lanes)
    {
        int vectors = Math.Max(1, Math.Min(2, columns / lanes));
        int mr = vectors == 2 ? 8 : 12;
        if (rows is int m && m < mr)
        {
            // Few rows (small batch, matrix-vector): widen the tile along the columns instead.
            mr = m;
            vectors = Math.Min(8, Math.Max(1, Math.Min(Math.Max(1, columns / lanes), 24 / mr - 1)));
        }
        return new Tile(Balanced(rows, mr), vectors, LoadsBFirst: false);
    }

    /// <summary>16 registers: 6 x 2 with B first; for few rows the widest tile that fits, loading first whichever operand has fewer registers.</summary>
    private static Tile BroadcastNarrow(int? rows, int columns, int lanes, int budget)
    {
        int available = Math.Max(1, columns / lanes);
        int vectors = Math.Min(2, available);
        int mr = Math.Min(12, (budget - vectors - 1) / vectors);
        if (rows is int m && m < mr)
        {
            mr = m;
            vectors = 1;
            for (int v = 2; v <= Math.Min(8, available); v++)
            {
                if (new Tile(m, v, LoadsBFirst: v < m).Registers <= budget)
                {
                    vectors = v;
                }
            }
            return new Tile(m, vectors, LoadsBFirst: vectors < m);
        }
        return new Tile(Balanced(rows, mr), vectors, LoadsBFirst: true);
    }

    /// <summary>
    /// The rows per strip when the same number of strips can cover a known row count in equal strips (10 rows: 5 + 5
    /// instead of 8 + 2 or 6 + 4): no remainder tile, whose few rows per B load leave the loads, not the FMAs, the limit.
    /// </summary>
    private static int Balanced(int? rows, int mr)
    {
        if (rows is not int m || m <= mr || m % mr == 0)
        {
            return mr;
        }
        int strips = (m + mr - 1) / mr;
        return m % strips == 0 ? m / strips : mr;
    }

    /// <summary>
    /// The zero-skipping form's tile: one row x NR vectors. A matrix-vector product keeps the dense form's tile; a rank-1
    /// update holds NR accumulators and the NR vectors of B's one row for the whole loop, so it takes at most half the
    /// registers, in whole divisors of the row's vectors where possible.
    /// </summary>
    public static Tile ZeroSkipping(bool alongDepth, int columns, KernelTarget target)
    {
        Tile dense = Broadcast(1, columns, target);
        if (alongDepth)
        {
            return dense;
        }
        int limit = (target.Registers - 2) / 2;
        if (dense.Columns <= limit)
        {
            return dense;
        }
        int available = Math.Max(1, columns / target.Lanes);
        int vectors = limit;
        while (vectors > 1 && available % vectors != 0)
        {
            vectors--;
        }
        return new Tile(1, vectors == 1 ? limit : vectors, LoadsBFirst: true);
    }

    /// <summary>
    /// The dot form's tile: MR rows of A x NR rows of B. A streams from L2 while B's rows stay in L1, so NR is as large as
    /// the registers allow (each A vector then feeds NR multiply-adds); A is loaded first (MR registers).
    /// </summary>
    public static Tile Dot(int? rows, int columns, KernelTarget target)
    {
        bool wide = target.Registers >= 32;
        // 32 registers: the AVX-512 tiles as measured (up to 23 live); 16: every tile within 15.
        int budget = wide ? 24 : target.Registers - 1;
        int nr = columns == 1 ? 1 : Array.Find(new[] { 10, 8, 6, 5, 4, 3, 2 }, c => columns % c == 0 && 2 * c + 3 <= budget);
        if (nr == 0)
        {
            nr = Math.Min(columns, wide ? 8 : (budget - 3) / 2);
        }
        int mr = nr == 1 ? Math.Min(8, (budget - 1) / 2) : Math.Max(1, Math.Min(4, wide ? 22 / nr : (budget - 1) / (nr + 1)));
        if (rows is int m && m < mr)
        {
            mr = m;
            nr = Math.Min(columns, Math.Min(12, (wide ? budget : budget - 1) / mr - 1));
        }
        return new Tile(mr, nr, LoadsBFirst: false);
    }
}
