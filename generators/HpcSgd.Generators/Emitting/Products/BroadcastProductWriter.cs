using System.Collections.Generic;
using System.Linq;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>
/// Writes a product in broadcast form, the BLIS microkernel: C tiles of MR rows x NR vectors stay in registers
/// while k runs; per k, MR elements A(m + r, k) are broadcast and NR vectors B(k, n + j W ..) loaded, in the order the
/// planned tile says (B first: NR B registers and one broadcast live; else MR broadcasts and one B), each feeding its
/// fused multiply-adds. k is unrolled 4x with constant offsets; A(m, k) is at A[m * ARowStride + k * ADepthStride],
/// B(k, n) at B[k * BStride + n] (or in panels of 16 columns, MatrixProduct.BInPanels: a first layer's weights, read where they lie).
/// Leftover rows take a narrower tile, leftover columns a one-vector tile and then scalar
/// columns. A deep product is cut into the planned depth blocks so a panel of B stays in L1 across all row strips;
/// later blocks add into C and the epilogue runs with the last block. A tile that packs A reads it from the copy
/// Kernels.Packing.TransposedStrips makes of each depth block before the column panels: strip m at packed[m * depth],
/// its rows' elements of one depth step side by side.
/// </summary>
internal static partial class BroadcastProductWriter
{
    private const string W = "(nuint)TOps.Count";
    private const int Unroll = 4;

    public static void Write(IndentedWriter w, MatrixProduct p, KernelVariant variant)
    {
        if (p.ZeroSkippingKernel is null)
        {
            WriteDense(w, p, variant);
            return;
        }
        // Listing the nonzero positions and going through the list costs more than it saves when A has few zeros, so the
        // dense kernel runs unless at least 1/8 of A's elements are zero (counted in a vector pass). The zero-skipping
        // form is a method of its own (WriteZeroSkippingKernel): in one method with it, the JIT allocated the dense form's
        // registers worse.
        (bool alongDepth, int length) = SkippedExtent(p);
        string worthIt = $"{Names.DenseMath}.CountZeros(ref {p.A}, {length}) >= {System.Math.Max(1, length / 8)}";
        using (w.Open(p.Epilogue == EpilogueKind.Update ? $"if ({Names.UpdateMath}.IsPlain(in rule) && {worthIt})" : $"if ({worthIt})"))
        {
            w.Line($"{p.ZeroSkippingKernel}{Names.WidthTypeParameters}({string.Join(", ", ZeroSkippingOperands(p).Select(o => o.Argument))});");
        }
        using (w.Open("else"))
        {
            WriteDense(w, p, variant);
        }
    }

    private static void WriteDense(IndentedWriter w, MatrixProduct p, KernelVariant variant)
    {
        int block = p.Plan.DepthBlock;
        bool blocked = p.Plan.Blocked;
        if (blocked && p.Epilogue == EpilogueKind.Update)
        {
            throw new System.InvalidOperationException("A fused update needs the whole depth in one block.");
        }
        Tile tile = variant.TileOf(p.Plan.Tiles);
        (int mr, int nr) = (tile.Rows, tile.Columns);
        bool packs = tile.PacksB;
        string? packedA = tile.PacksA ? p.PackedA ?? throw new System.InvalidOperationException("A tile packs A but the product names no buffer.") : null;
        w.Line($"// {p.Description}, broadcast form" + (blocked ? $", depth in blocks of {block}" : "") + $"; vector tiles on {variant.Describe(tile)}.");
        using (w.Open())
        {
            if (packs)
            {
                // Sized to the panel: the runtime zeroes a stack buffer, so a shallow product clears only what it uses.
                string depth = blocked ? block.ToString() : $"(int){p.K.Expression}";
                w.Line($"global::System.Span<float> panel = stackalloc float[{depth} * {nr} * TOps.Count];");
                w.Line($"ref float panel0 = ref {Names.MemoryMarshal}.GetReference(panel);");
            }
            if (blocked)
            {
                w.Line($"for (nuint k0 = 0; k0 < {p.K.Expression}; k0 += {block})");
            }
            using (w.Open())
            {
                w.Line(blocked ? $"nuint kEnd = global::System.Math.Min(k0 + {block}, {p.K.Expression});"
                    : p.K.Value is null ? $"const nuint k0 = 0; nuint kEnd = {p.K.Expression};" : $"const nuint k0 = 0, kEnd = {p.K.Expression};");
                if (packedA is not null)
                {
                    w.Line($"{Names.Packing}.TransposedStrips(ref {Names.Unsafe}.Add(ref {p.A}, k0 * {p.ADepthStride}), {p.ADepthStride}, {p.M.Expression}, kEnd - k0, {mr}, ref {packedA});");
                }
                // Column panels outermost: one panel of B (a depth block x NR vectors) stays in L1 while every row strip passes.
                w.Line("nuint n = 0;");
                using (w.Open($"for (; n + {nr} * {W} <= {p.N}; n += {nr} * {W})"))
                {
                    if (packs)
                    {
                        WritePacking(w, p, nr);
                    }
                    DeclarePanelOffsets(w, p, Lanes.Vector, nr);
                    WriteColumnPanel(w, p, mr, nr, tile.LoadsBFirst, Lanes.Vector, blocked, packs ? nr : 0, packedA);
                }
                (bool oneVector, bool scalar) = LeftoverColumns(p.N, nr, variant);
                if (oneVector)
                {
                    using (w.Open($"for (; n + {W} <= {p.N}; n += {W})"))
                    {
                        DeclarePanelOffsets(w, p, Lanes.Vector, 1);
                        WriteColumnPanel(w, p, mr, 1, tile.LoadsBFirst, Lanes.Vector, blocked, 0, packedA);
                    }
                }
                if (scalar)
                {
                    using (w.Open($"for (; n < {p.N}; n++)"))
                    {
                        DeclarePanelOffsets(w, p, Lanes.Scalar, 1);
                        WriteColumnPanel(w, p, mr, 1, tile.LoadsBFirst, Lanes.Scalar, blocked, 0, packedA);
                    }
                }
            }
        }
    }

    private static void DeclarePanelOffsets(IndentedWriter w, MatrixProduct p, Lanes lanes, int vectors)
    {
        foreach (string declaration in p.PanelOffsetDeclarations(lanes, vectors))
        {
            w.Line(declaration);
        }
    }

    /// <summary>
    /// Which loops over leftover columns some target of <paramref name="variant"/> reaches after the NR-vector panels:
    /// one vector at a time, then single floats. Loops no target reaches are left out: the JIT still compiles dead code,
    /// and its size spent the inlining budget the live loops needed.
    /// </summary>
    private static (bool OneVector, bool Scalar) LeftoverColumns(int columns, int nr, KernelVariant variant) =>
        (nr > 1 && variant.Targets.Any(t => columns % (nr * t.Lanes) >= t.Lanes), variant.Targets.Any(t => columns % t.Lanes != 0));

    /// <summary>
    /// Whether some depth block of <paramref name="p"/> reaches the depth loop unrolled <see cref="Unroll"/> times (a
    /// block of at least that many steps). A depth of 3 (a layer with three outputs, seen from the layer before) or a
    /// batch of 1 does not; left in, that loop would still be compiled, and there the JIT shared broadcasts of equal
    /// addresses across its steps and spilled them. The one-step loop is always written: leaving it out where the
    /// depth is a multiple of four changed how the JIT laid out the unrolled loop, and W4's steps got slower
    /// (benchmarks/README.md).
    /// </summary>
    private static bool ReachesUnrolledLoop(MatrixProduct p, bool blocked)
    {
        int[]? depths = p.K.Value is int known ? [known] : p.K.Candidates;
        return depths is null || (blocked ? p.Plan.DepthBlock >= Unroll : depths.Any(d => d >= Unroll));
    }

    private static void DeclareAccumulators(IndentedWriter w, int rows, int vectors, Lanes lanes)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < vectors; j++)
            {
                w.Line($"{lanes.Vec} c{r}_{j} = {lanes.Ops}.Zero;");
            }
        }
    }

    /// <summary>Copies the panel of B at columns n.. (this depth block's rows, <paramref name="vectors"/> vectors each) to the stack buffer, row after row.</summary>
    private static void WritePacking(IndentedWriter w, MatrixProduct p, int vectors)
    {
        w.Line($"ref float bSource = ref {Names.Unsafe}.Add(ref {p.B}, k0 * {p.BStride} + n);");
        using (w.Open("for (nuint k = 0; k < kEnd - k0; k++)"))
        {
            for (int j = 0; j < vectors; j++)
            {
                string column = j == 0 ? "" : $" + {Lanes.Vector.Vectors(j)}";
                w.Line($"TOps.Store(TOps.Load(ref bSource, k * {p.BStride}{column}), ref panel0, k * {vectors} * {W}{column});");
            }
        }
    }

    /// <summary>
    /// The row strips of one column panel; <paramref name="packedVectors"/> &gt; 0 when they read B from the packed panel
    /// (rows that many vectors apart), <paramref name="packedA"/> names A's packed copy when they read that.
    /// </summary>
    private static void WriteColumnPanel(IndentedWriter w, MatrixProduct p, int mr, int vectors, bool bFirst, Lanes lanes, bool blocked, int packedVectors, string? packedA)
    {
        RowStrips.Write(w, p.M, mr, rows => WriteTile(w, p, rows, vectors, bFirst, lanes, blocked, packedVectors, packedA));
    }

    private static void WriteTile(IndentedWriter w, MatrixProduct p, int rows, int vectors, bool bFirst, Lanes lanes, bool blocked, int packedVectors, string? packedA)
    {
        DeclareAccumulators(w, rows, vectors, lanes);
        // In A's packed copy a strip's rows are adjacent and its depth steps one strip's width apart.
        var a = packedA is null ? new Strides(p.ARowStride, p.ADepthStride) : new Strides(1, rows);
        w.Line(packedA is null
            ? $"ref float aP = ref {Names.Unsafe}.Add(ref {p.A}, m * {p.ARowStride} + k0 * {p.ADepthStride});"
            : $"ref float aP = ref {Names.Unsafe}.Add(ref {packedA}, m * (kEnd - k0));");
        // In panels, an aligned tile reads every vector at a fixed distance from one reference; another, one per vector.
        bool panels = packedVectors == 0 && p.BInPanels, refPerVector = panels && !MatrixProduct.StaysAligned(vectors);
        DeclareBReads(w, p, "k0", vectors, lanes, refPerVector, packedVectors > 0 ? "panel0" : null);
        // B(k + u, vector j) as a Load's arguments.
        string BRead(int u, int j) => packedVectors > 0 ? $"ref bP, {lanes.Vectors(u * packedVectors + j)}"
            : refPerVector ? $"ref bP{j}, (nuint){u * p.BRowStride}"
            : panels ? $"ref bP, {MatrixProduct.BVectorOffset(j)} + (nuint){u * p.BRowStride}"
            : $"ref bP, {lanes.Offset(u * p.BStride, j)}";
        bool unrolled = ReachesUnrolledLoop(p, blocked);
        if (unrolled)
        {
            w.Line("nuint k = k0;");
            using (w.Open($"for (; k + {Unroll} <= kEnd; k += {Unroll})"))
            {
                for (int u = 0; u < Unroll; u++)
                {
                    using (w.Open())
                    {
                        WriteStep(w, p, a, rows, vectors, bFirst, lanes, u, j => BRead(u, j));
                    }
                }
                w.Line($"aP = ref {Names.Unsafe}.Add(ref aP, {Unroll * a.Depth});");
                AdvanceBReads(w, p, Unroll, vectors, refPerVector, packedVectors);
            }
        }
        using (w.Open(unrolled ? "for (; k < kEnd; k++)" : "for (nuint k = k0; k < kEnd; k++)"))
        {
            WriteStep(w, p, a, rows, vectors, bFirst, lanes, 0, j => BRead(0, j));
            w.Line($"aP = ref {Names.Unsafe}.Add(ref aP, {a.Depth});");
            AdvanceBReads(w, p, 1, vectors, refPerVector, packedVectors);
        }
        WriteEpilogue(w, p, rows, vectors, lanes, blocked);
    }

    /// <summary>
    /// Where a tile reads B from depth step <paramref name="depth"/> on: the packed copy <paramref name="packed"/>, one
    /// reference at column n (in panels or not), or one per vector (<paramref name="refPerVector"/>: a tile in panels
    /// whose vectors do not stay aligned).
    /// </summary>
    private static void DeclareBReads(IndentedWriter w, MatrixProduct p, string depth, int vectors, Lanes lanes, bool refPerVector, string? packed)
    {
        if (packed is not null)
        {
            w.Line($"ref float bP = ref {packed};");
            return;
        }
        if (!refPerVector)
        {
            w.Line($"ref float bP = ref {Names.Unsafe}.Add(ref {p.B}, {depth} * {p.BRowStride} + {p.BColumnOfTile});");
            return;
        }
        for (int j = 0; j < vectors; j++)
        {
            w.Line($"ref float bP{j} = ref {Names.Unsafe}.Add(ref {p.B}, {depth} * {p.BRowStride} + {p.BColumn("n + " + lanes.Offset(0, j))});");
        }
    }

    private static void AdvanceBReads(IndentedWriter w, MatrixProduct p, int steps, int vectors, bool refPerVector, int packedVectors)
    {
        if (!refPerVector)
        {
            w.Line($"bP = ref {Names.Unsafe}.Add(ref bP, {(packedVectors > 0 ? $"{steps * packedVectors} * {W}" : (steps * p.BRowStride).ToString())});");
            return;
        }
        for (int j = 0; j < vectors; j++)
        {
            w.Line($"bP{j} = ref {Names.Unsafe}.Add(ref bP{j}, {steps * p.BRowStride});");
        }
    }

    /// <summary>One depth step (<paramref name="bRead"/> gives vector j of B's row as a Load's arguments): B first (NR loads, then per row a broadcast and its NR multiply-adds) or A first (MR broadcasts, then per vector of B a load and its MR multiply-adds). Each accumulator sees the same sequence either way.</summary>
    private static void WriteStep(IndentedWriter w, MatrixProduct p, Strides a, int rows, int vectors, bool bFirst, Lanes lanes, int u, System.Func<int, string> bRead)
    {
        if (bFirst)
        {
            for (int j = 0; j < vectors; j++)
            {
                w.Line($"{lanes.Vec} b{j} = {lanes.Ops}.Load({bRead(j)});");
            }
            for (int r = 0; r < rows; r++)
            {
                w.Line($"{lanes.Vec} a{r} = {lanes.Ops}.Broadcast({Names.Unsafe}.Add(ref aP, {u * a.Depth + r * a.Row}));");
                for (int j = 0; j < vectors; j++)
                {
                    w.Line($"c{r}_{j} = {lanes.Ops}.MultiplyAdd(a{r}, b{j}, c{r}_{j});");
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            w.Line($"{lanes.Vec} a{r} = {lanes.Ops}.Broadcast({Names.Unsafe}.Add(ref aP, {u * a.Depth + r * a.Row}));");
        }
        for (int j = 0; j < vectors; j++)
        {
            w.Line($"{lanes.Vec} b{j} = {lanes.Ops}.Load({bRead(j)});");
            for (int r = 0; r < rows; r++)
            {
                w.Line($"c{r}_{j} = {lanes.Ops}.MultiplyAdd(a{r}, b{j}, c{r}_{j});");
            }
        }
    }

    /// <summary>Where a tile reads A: floats between A(m, k) and A(m + 1, k), and between A(m, k) and A(m, k + 1).</summary>
    private readonly record struct Strides(int Row, int Depth);

    private static void WriteEpilogue(IndentedWriter w, MatrixProduct p, int rows, int vectors, Lanes lanes, bool blocked)
    {
        string Offset(int r, int j) => p.COffset($"m + {r}", lanes, vectors, j);
        string? addToC = p.Epilogue == EpilogueKind.Store ? p.AddToCFlag : null;
        if (blocked || addToC is not null)
        {
            // Later depth blocks add to what the earlier ones stored; a product told to add to C adds from the first.
            string condition = (blocked, addToC) switch
            {
                (true, null) => "k0 != 0",
                (true, _) => $"k0 != 0 || {addToC}",
                _ => addToC!,
            };
            using (w.Open($"if ({condition})"))
            {
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < vectors; j++)
                    {
                        w.Line($"c{r}_{j} = {lanes.Ops}.Add(c{r}_{j}, {lanes.Ops}.Load(ref {p.C}, {Offset(r, j)}));");
                    }
                }
            }
        }
        if (p.Epilogue == EpilogueKind.Update)
        {
            // One test of the rule per tile: Step tests it per register, and the JIT reloads the rule after every store
            // (a store to p may alias it) and moves the plain path out of line.
            using (w.Open($"if ({Names.UpdateMath}.IsPlain(in rule))"))
            {
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < vectors; j++)
                    {
                        w.Line($"{Names.UpdateMath}.PlainStep<{lanes.Ops}, {lanes.Vec}>(ref {p.C}, {Offset(r, j)}, c{r}_{j}, in rule);");
                    }
                }
            }
            using (w.Open("else"))
            {
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < vectors; j++)
                    {
                        w.Line($"{Names.UpdateMath}.Step<{lanes.Ops}, {lanes.Vec}>(ref {p.C}, ref {p.Velocity}, {Offset(r, j)}, c{r}_{j}, in rule);");
                    }
                }
            }
            return;
        }
        if (p.Epilogue != EpilogueKind.Store)
        {
            using (w.Open(blocked ? $"if (kEnd == {p.K.Expression})" : null))
            {
                for (int j = 0; j < vectors && p.Epilogue == EpilogueKind.BiasActivation; j++)
                {
                    w.Line($"{lanes.Vec} bias{j} = {lanes.Ops}.Load(ref {p.Bias}, n + {lanes.Offset(0, j)});");
                }
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < vectors; j++)
                    {
                        string c = $"c{r}_{j}";
                        w.Line(p.Epilogue == EpilogueKind.BackPropagate
                            ? $"{c} = {Names.Activation(p.Activation)}.BackPropagate<{lanes.Ops}, {lanes.Vec}>({lanes.Ops}.Load(ref {p.Activations}, {Offset(r, j)}), {c});"
                            : MatrixProduct.Fuses(p.Activation)
                                ? $"{c} = {Names.Activation(p.Activation)}.Apply<{lanes.Ops}, {lanes.Vec}>({lanes.Ops}.Add({c}, bias{j}));"
                                : $"{c} = {lanes.Ops}.Add({c}, bias{j});");
                    }
                }
            }
        }
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < vectors; j++)
            {
                w.Line($"{lanes.Ops}.Store(c{r}_{j}, ref {p.C}, {Offset(r, j)});");
            }
        }
    }
}
