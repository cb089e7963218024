using System.Collections.Generic;
using System.Linq;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>The batch-1 forms that skip exact zeros of A (see <see cref="Write"/>).</summary>
internal static partial class BroadcastProductWriter
{
    /// <summary>The kernel a zero-skipping product calls (named <see cref="MatrixProduct.ZeroSkippingKernel"/>); write it beside the caller.</summary>
    public static void WriteZeroSkippingKernel(IndentedWriter w, MatrixProduct p)
    {
        (bool alongDepth, int length) = SkippedExtent(p);
        w.Line($"/// <summary>{p.Description} over the nonzero elements of {p.A} only (see the caller).</summary>");
        KernelVariants.Write(w, p.ZeroSkippingKernel!, string.Join(", ", ZeroSkippingOperands(p).Select(o => o.Parameter)),
            KernelVariants.Of(p.Plan.ZeroSkippingTiles), variant => WriteSkippingZeros(w, p, alongDepth, length, variant));
        w.Line();
    }

    private static (bool AlongDepth, int Length) SkippedExtent(MatrixProduct p)
    {
        bool alongDepth = p.M.Value == 1;
        int length = (alongDepth ? p.K.Value : p.M.Value) ?? throw new System.InvalidOperationException("Zero skipping needs a known extent.");
        return (alongDepth, length);
    }

    private static IEnumerable<(string Parameter, string Argument)> ZeroSkippingOperands(MatrixProduct p)
    {
        yield return ($"ref float {p.A}", $"ref {p.A}");
        yield return ($"ref float {p.B}", $"ref {p.B}");
        yield return ($"ref float {p.C}", $"ref {p.C}");
        if (p.Bias is not null)
        {
            yield return ($"ref float {p.Bias}", $"ref {p.Bias}");
        }
        if (p.Velocity is not null)
        {
            yield return ($"ref float {p.Velocity}", $"ref {p.Velocity}");
            yield return ($"in {Names.UpdateRule} rule", "in rule");
        }
    }

    /// <summary>Rows of A listed per block by a zero-skipping rank-1 update: bounds its stack buffer of indices.</summary>
    private const int ZeroSkipBlock = 1024;

    /// <summary>
    /// A matrix-vector product (M = 1: the depth steps k with A(0, k) != 0) or a fused rank-1 update (K = 1: the rows m
    /// with A(m, 0) != 0; the caller checks that the update rule keeps a parameter whose gradient is zero) over the
    /// positions listed by DenseMath.NonzeroIndices, one block of A at a time, in tiles of one row x NR vectors: the same
    /// multiply-adds as the dense form minus those with a zero factor, so the same result.
    /// </summary>
    private static void WriteSkippingZeros(IndentedWriter w, MatrixProduct p, bool alongDepth, int length, KernelVariant variant)
    {
        if ((alongDepth ? p.ADepthStride : p.ARowStride) != 1 || (!alongDepth && (p.K.Value != 1 || p.Epilogue != EpilogueKind.Update)))
        {
            throw new System.InvalidOperationException("Zero skipping takes a matrix-vector product or a fused rank-1 update with A contiguous along the skipped extent.");
        }
        Tile tile = variant.TileOf(p.Plan.ZeroSkippingTiles);
        int nr = tile.Columns;
        string description = variant.Describe(tile);
        // Along the depth, the dense form's blocks, so partial sums pass through C at the same places (the same result
        // bit for bit); along the rows, blocks bound only the stack buffer.
        int block = alongDepth ? p.Plan.DepthBlock : ZeroSkipBlock;
        bool blocked = length > block;
        string start = alongDepth ? "k0" : "m0";
        string end = alongDepth ? "kEnd" : "mEnd";
        w.Line($"// {p.Description}, broadcast form over the {(alongDepth ? "depth steps" : "rows")} whose element of {p.A} is nonzero; vector tiles on {description}.");
        using (w.Open())
        {
            w.Line($"global::System.Span<int> visit = stackalloc int[{System.Math.Min(length, block)}];");
            w.Line($"ref int visit0 = ref {Names.MemoryMarshal}.GetReference(visit);");
            if (blocked)
            {
                w.Line($"for (nuint {start} = 0; {start} < {length}; {start} += {block})");
            }
            using (w.Open())
            {
                w.Line(blocked ? $"nuint {end} = global::System.Math.Min({start} + {block}, {length});" : $"const nuint {start} = 0, {end} = {length};");
                w.Line($"int count = {Names.DenseMath}.NonzeroIndices(ref {Names.Unsafe}.Add(ref {p.A}, {start}), (int)({end} - {start}), ref visit0);");
                w.Line("nuint n = 0;");
                using (w.Open($"for (; n + {nr} * {W} <= {p.N}; n += {nr} * {W})"))
                {
                    DeclarePanelOffsets(w, p, Lanes.Vector, nr);
                    WriteSkippingTile(w, p, nr, Lanes.Vector, alongDepth, blocked);
                }
                (bool oneVector, bool scalar) = LeftoverColumns(p.N, nr, variant);
                if (oneVector)
                {
                    using (w.Open($"for (; n + {W} <= {p.N}; n += {W})"))
                    {
                        DeclarePanelOffsets(w, p, Lanes.Vector, 1);
                        WriteSkippingTile(w, p, 1, Lanes.Vector, alongDepth, blocked);
                    }
                }
                if (scalar)
                {
                    using (w.Open($"for (; n < {p.N}; n++)"))
                    {
                        DeclarePanelOffsets(w, p, Lanes.Scalar, 1);
                        WriteSkippingTile(w, p, 1, Lanes.Scalar, alongDepth, blocked);
                    }
                }
            }
        }
    }

    private static void WriteSkippingTile(IndentedWriter w, MatrixProduct p, int vectors, Lanes lanes, bool alongDepth, bool blocked)
    {
        if (alongDepth)
        {
            // One tile of C holds the sum over the listed depth steps. In panels, where the tile's vectors lie is worked out
            // once, not per listed step: at fixed distances from column n's place (the column loop's locals), or one place
            // per vector.
            w.Line("const nuint m = 0;");
            DeclareAccumulators(w, 1, vectors, lanes);
            bool aligned = !p.BInPanels || MatrixProduct.StaysAligned(vectors);
            for (int j = 0; j < vectors && !aligned; j++)
            {
                w.Line($"nuint bColumn{j} = {p.BColumn("n + " + lanes.Offset(0, j))};");
            }
            using (w.Open("for (int t = 0; t < count; t++)"))
            {
                w.Line($"nuint k = k0 + (nuint){Names.Unsafe}.Add(ref visit0, t);");
                w.Line($"ref float aP = ref {Names.Unsafe}.Add(ref {p.A}, k);");
                w.Line($"ref float bP = ref {Names.Unsafe}.Add(ref {p.B}, k * {p.BRowStride}{(aligned ? " + " + p.BColumnOfTile : "")});");
                WriteStep(w, p, new Strides(p.ARowStride, p.ADepthStride), 1, vectors, false, lanes, 0,
                    j => !aligned ? $"ref bP, bColumn{j}" : p.BInPanels ? $"ref bP, {MatrixProduct.BVectorOffset(j)}" : $"ref bP, {lanes.Offset(0, j)}");
            }
            WriteEpilogue(w, p, 1, vectors, lanes, blocked);
            return;
        }
        // A rank-1 update: each listed row is a tile of its own, finished after its single depth step. The row of B
        // is the same for every row, so it is loaded once, ahead of the loop (the JIT would reload it after each
        // row's stores).
        for (int j = 0; j < vectors; j++)
        {
            w.Line($"{lanes.Vec} b{j} = {lanes.Ops}.Load(ref {p.B}, n + {lanes.Offset(0, j)});");
        }
        using (w.Open("for (int t = 0; t < count; t++)"))
        {
            w.Line($"nuint m = m0 + (nuint){Names.Unsafe}.Add(ref visit0, t);");
            w.Line($"{lanes.Vec} a0 = {lanes.Ops}.Broadcast({Names.Unsafe}.Add(ref {p.A}, m));");
            for (int j = 0; j < vectors; j++)
            {
                // The dense form's first multiply-add into a zero accumulator: the same rounding.
                w.Line($"{lanes.Vec} c0_{j} = {lanes.Ops}.MultiplyAdd(a0, b{j}, {lanes.Ops}.Zero);");
            }
            WriteEpilogue(w, p, 1, vectors, lanes, blocked: false);
        }
    }
}
