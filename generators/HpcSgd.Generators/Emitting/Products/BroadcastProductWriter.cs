using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>
/// Writes a product in broadcast form, the BLIS microkernel: C tiles of MR rows x NR vectors stay in registers
/// while k runs; per k, MR elements A(m + r, k) are broadcast and each of the NR vectors B(k, n + j W ..) is loaded
/// just before its MR fused multiply-adds. k is unrolled 4x with constant offsets; A(m, k) is at
/// A[m * ARowStride + k * ADepthStride], B(k, n) at B[k * BStride + n]. Leftover rows take a narrower tile,
/// leftover columns a one-vector tile and then scalar columns. A depth over the batch is blocked
/// (<see cref="TilePlanner.DepthBlock"/> rows), later blocks adding into C.
/// </summary>
internal static class BroadcastProductWriter
{
    private const string W = "(nuint)TOps.Count";
    private const int Unroll = 4;

    public static void Write(IndentedWriter w, MatrixProduct p)
    {
        (int mr, int nr) = TilePlanner.Broadcast(p.M.Value, p.N);
        w.Line($"// {p.Description}: broadcast form, {mr} x {nr} vector tiles.");
        using (w.Open())
        {
            // Only plain stores can add block after block; products with an epilogue never sum over the batch.
            bool blocked = p.Epilogue == EpilogueKind.Store && (p.K.Value is not int depth || depth > TilePlanner.DepthBlock);
            if (blocked)
            {
                w.Line($"for (nuint k0 = 0; k0 < {p.K.Expression}; k0 += {TilePlanner.DepthBlock})");
            }
            using (w.Open())
            {
                w.Line(blocked ? $"nuint kEnd = global::System.Math.Min(k0 + {TilePlanner.DepthBlock}, {p.K.Expression});" : $"const nuint k0 = 0, kEnd = {p.K.Expression};");
                w.Line("nuint m = 0;");
                using (w.Open($"for (; m + {mr} <= {p.M.Expression}; m += {mr})"))
                {
                    WriteRowStrip(w, p, mr, nr, blocked);
                }
                if (p.M.Value is int rows)
                {
                    if (rows % mr != 0)
                    {
                        using (w.Open())
                        {
                            WriteRowStrip(w, p, rows % mr, nr, blocked);
                        }
                    }
                }
                else
                {
                    using (w.Open($"for (; m < {p.M.Expression}; m++)"))
                    {
                        WriteRowStrip(w, p, 1, nr, blocked);
                    }
                }
            }
        }
    }

    private static void WriteRowStrip(IndentedWriter w, MatrixProduct p, int rows, int vectors, bool blocked)
    {
        w.Line("nuint n = 0;");
        using (w.Open($"for (; n + {vectors} * {W} <= {p.N}; n += {vectors} * {W})"))
        {
            WriteTile(w, p, rows, vectors, Lanes.Vector, blocked);
        }
        if (vectors > 1)
        {
            using (w.Open($"for (; n + {W} <= {p.N}; n += {W})"))
            {
                WriteTile(w, p, rows, 1, Lanes.Vector, blocked);
            }
        }
        using (w.Open($"for (; n < {p.N}; n++)"))
        {
            WriteTile(w, p, rows, 1, Lanes.Scalar, blocked);
        }
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
        if (p.Epilogue == EpilogueKind.BiasActivation)
        {
            for (int j = 0; j < vectors; j++)
            {
                w.Line($"{lanes.Vec} bias{j} = {lanes.Ops}.Load(ref {p.Bias}, n + {lanes.Offset(0, j)});");
            }
        }
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < vectors; j++)
            {
                string c = $"c{r}_{j}";
                string offset = $"(m + {r}) * {p.Ldc} + n + {lanes.Offset(0, j)}";
                switch (p.Epilogue)
                {
                    case EpilogueKind.Store when blocked:
                        w.Line($"if (k0 != 0) {c} = {lanes.Ops}.Add({c}, {lanes.Ops}.Load(ref {p.C}, {offset}));");
                        break;
                    case EpilogueKind.BiasActivation:
                        w.Line(MatrixProduct.Fuses(p.Activation)
                            ? $"{c} = {Names.Activation(p.Activation)}.Apply<{lanes.Ops}, {lanes.Vec}>({lanes.Ops}.Add({c}, bias{j}));"
                            : $"{c} = {lanes.Ops}.Add({c}, bias{j});");
                        break;
                    case EpilogueKind.BackPropagate:
                        w.Line($"{c} = {Names.Activation(p.Activation)}.BackPropagate<{lanes.Ops}, {lanes.Vec}>({lanes.Ops}.Load(ref {p.Activations}, {offset}), {c});");
                        break;
                }
                w.Line($"{lanes.Ops}.Store({c}, ref {p.C}, {offset});");
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
