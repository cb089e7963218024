using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>
/// Writes a product in broadcast form, the BLIS microkernel: C tiles of MR rows x NR vectors stay in registers
/// while k runs; per k, MR elements A(m + r, k) are broadcast and each of the NR vectors B(k, n + j W ..) is loaded
/// just before its MR fused multiply-adds. k is unrolled 4x with constant offsets; A(m, k) is at
/// A[m * ARowStride + k * ADepthStride], B(k, n) at B[k * BStride + n]. Leftover rows take a narrower tile,
/// leftover columns a one-vector tile and then scalar columns. A deep product is cut into depth blocks
/// (<see cref="TilePlanner.DepthBlock"/>) so a panel of B stays in L1 across all row strips; later blocks add
/// into C and the epilogue runs with the last block.
/// </summary>
internal static class BroadcastProductWriter
{
    private const string W = "(nuint)TOps.Count";
    private const int Unroll = 4;

    public static void Write(IndentedWriter w, MatrixProduct p)
    {
        (int mr, int nr) = TilePlanner.Broadcast(p.M.Value, p.N);
        int block = Block(p);
        bool blocked = IsBlocked(p);
        if (blocked && p.Epilogue == EpilogueKind.Update)
        {
            throw new System.InvalidOperationException("A fused update needs the whole depth in one block.");
        }
        w.Line($"// {p.Description}: broadcast form, {mr} x {nr} vector tiles" + (blocked ? $", depth in blocks of {block}." : "."));
        using (w.Open())
        {
            if (blocked)
            {
                w.Line($"for (nuint k0 = 0; k0 < {p.K.Expression}; k0 += {block})");
            }
            using (w.Open())
            {
                w.Line(blocked ? $"nuint kEnd = global::System.Math.Min(k0 + {block}, {p.K.Expression});" : $"const nuint k0 = 0, kEnd = {p.K.Expression};");
                // Column panels outermost: one panel of B (a depth block x NR vectors) stays in L1 while every row strip passes.
                w.Line("nuint n = 0;");
                using (w.Open($"for (; n + {nr} * {W} <= {p.N}; n += {nr} * {W})"))
                {
                    WriteColumnPanel(w, p, mr, nr, Lanes.Vector, blocked);
                }
                if (nr > 1)
                {
                    using (w.Open($"for (; n + {W} <= {p.N}; n += {W})"))
                    {
                        WriteColumnPanel(w, p, mr, 1, Lanes.Vector, blocked);
                    }
                }
                using (w.Open($"for (; n < {p.N}; n++)"))
                {
                    WriteColumnPanel(w, p, mr, 1, Lanes.Scalar, blocked);
                }
            }
        }
    }

    /// <summary>True when the product's depth spans more than one block (then partial sums pass through C).</summary>
    public static bool IsBlocked(MatrixProduct p) => p.K.Value is not int depth || depth > Block(p);

    /// <summary>The block follows the tile planned for any row count, so specialized and general kernels group sums alike.</summary>
    private static int Block(MatrixProduct p) => TilePlanner.DepthBlock(TilePlanner.Broadcast(null, p.N).Vectors);

    private static void WriteColumnPanel(IndentedWriter w, MatrixProduct p, int mr, int vectors, Lanes lanes, bool blocked)
    {
        RowStrips.Write(w, p.M, mr, rows => WriteTile(w, p, rows, vectors, lanes, blocked));
    }

    private static void WriteTile(IndentedWriter w, MatrixProduct p, int rows, int vectors, Lanes lanes, bool blocked)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < vectors; j++)
            {
                w.Line($"{lanes.Vec} c{r}_{j} = {lanes.Ops}.Zero;");
            }
        }
        w.Line($"ref float aP = ref {Names.Unsafe}.Add(ref {p.A}, m * {p.ARowStride} + k0 * {p.ADepthStride});");
        w.Line($"ref float bP = ref {Names.Unsafe}.Add(ref {p.B}, k0 * {p.BStride} + n);");
        w.Line("nuint k = k0;");
        using (w.Open($"for (; k + {Unroll} <= kEnd; k += {Unroll})"))
        {
            for (int u = 0; u < Unroll; u++)
            {
                using (w.Open())
                {
                    WriteStep(w, p, rows, vectors, lanes, u);
                }
            }
            w.Line($"aP = ref {Names.Unsafe}.Add(ref aP, {Unroll * p.ADepthStride});");
            w.Line($"bP = ref {Names.Unsafe}.Add(ref bP, {Unroll * p.BStride});");
        }
        using (w.Open("for (; k < kEnd; k++)"))
        {
            WriteStep(w, p, rows, vectors, lanes, 0);
            w.Line($"aP = ref {Names.Unsafe}.Add(ref aP, {p.ADepthStride});");
            w.Line($"bP = ref {Names.Unsafe}.Add(ref bP, {p.BStride});");
        }
        WriteEpilogue(w, p, rows, vectors, lanes, blocked);
    }

    private static void WriteStep(IndentedWriter w, MatrixProduct p, int rows, int vectors, Lanes lanes, int u)
    {
        for (int r = 0; r < rows; r++)
        {
            w.Line($"{lanes.Vec} a{r} = {lanes.Ops}.Broadcast({Names.Unsafe}.Add(ref aP, {u * p.ADepthStride + r * p.ARowStride}));");
        }
        for (int j = 0; j < vectors; j++)
        {
            w.Line($"{lanes.Vec} b{j} = {lanes.Ops}.Load(ref bP, {lanes.Offset(u * p.BStride, j)});");
            for (int r = 0; r < rows; r++)
            {
                w.Line($"c{r}_{j} = {lanes.Ops}.MultiplyAdd(a{r}, b{j}, c{r}_{j});");
            }
        }
    }

    private static void WriteEpilogue(IndentedWriter w, MatrixProduct p, int rows, int vectors, Lanes lanes, bool blocked)
    {
        string Offset(int r, int j) => $"(m + {r}) * {p.Ldc} + n + {lanes.Offset(0, j)}";
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
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < vectors; j++)
                {
                    w.Line($"{Names.UpdateMath}.Step<{lanes.Ops}, {lanes.Vec}>(ref {p.C}, ref {p.Velocity}, {Offset(r, j)}, c{r}_{j}, in rule);");
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

/// <summary>The register type a tile computes in: the kernel's vector width, or one float (leftover columns).</summary>
internal readonly struct Lanes
{
    private Lanes(string ops, string vec, string width)
    {
        Ops = ops;
        Vec = vec;
        Width = width;
    }

    public static Lanes Vector => new("TOps", "TVec", "(nuint)TOps.Count");

    public static Lanes Scalar => new(Names.Kernels + ".ScalarOps", "float", "1");

    public string Ops { get; }

    public string Vec { get; }

    public string Width { get; }

    /// <summary>The offset <paramref name="constant"/> + <paramref name="vector"/> registers, as a nuint expression.</summary>
    public string Offset(int constant, int vector) =>
        vector == 0 ? $"(nuint){constant}" : Width == "1" ? $"(nuint){constant + vector}" : $"(nuint){constant} + {vector} * {Width}";
}
