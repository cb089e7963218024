using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>
/// Writes a product in dot form, for when both operands run along the depth: C(m, n) = sum over k of
/// A[m * ARowStride + k] * B[n * BStride + k]. Tiles of MR x NR accumulators run vectors along k (each of the
/// MR A-vectors is loaded once and each B-vector just before its MR fused multiply-adds), then the
/// accumulators are summed across their lanes (four at a time), the leftover depth is added in scalar, and the epilogue applied.
/// Reading byte rows (<see cref="MatrixProduct.ByteSource"/>), a strip's first column tile widens its rows from the
/// table, stores them into A for the later tiles and the backward pass, and requests the lines of the rows ahead as it
/// goes; the first rows are requested before the first strip.
/// </summary>
internal static class DotProductWriter
{
    public static void Write(IndentedWriter w, MatrixProduct p, KernelVariant variant)
    {
        int depth = p.K.Value ?? throw new System.InvalidOperationException("A dot-form product needs a depth known at generation time.");
        Tile tile = variant.TileOf(p.Plan.Tiles);
        w.Line($"// {p.Description}, dot form; tiles on {variant.Describe(tile)}.");
        using (w.Open())
        {
            if (p.ByteSource is not null)
            {
                WriteFirstRowsRequest(w, p, depth);
            }
            RowStrips.Write(w, p.M, tile.Rows, rows => WriteRowStrip(w, p, depth, rows, tile.Columns));
        }
    }

    private static void WriteRowStrip(IndentedWriter w, MatrixProduct p, int depth, int rows, int columns)
    {
        w.Line("nuint n = 0;");
        int first = 0;
        if (p.ByteSource is not null)
        {
            first = System.Math.Min(columns, p.N);
            using (w.Open())
            {
                WriteTile(w, p, depth, rows, first, fromBytes: true);
            }
            w.Line($"n = {first};");
        }
        using (w.Open($"for (; n + {columns} <= {p.N}; n += {columns})"))
        {
            WriteTile(w, p, depth, rows, columns, fromBytes: false);
        }
        if ((p.N - first) % columns != 0)
        {
            using (w.Open())
            {
                WriteTile(w, p, depth, rows, (p.N - first) % columns, fromBytes: false);
            }
        }
    }

    /// <summary>Requests every line of the first rows ahead, which no strip before them requests.</summary>
    private static void WriteFirstRowsRequest(IndentedWriter w, MatrixProduct p, int depth)
    {
        string u = Names.Unsafe;
        using (w.Open($"for (nuint r = 0; r < {p.ByteRowsAhead} && r < {p.M.Expression}; r++)"))
        {
            w.Line($"ref byte row = ref {u}.Add(ref {p.ByteSource}, (nint){u}.Add(ref {p.ByteRowIndices}, r) * {depth});");
            using (w.Open($"for (nuint line = 0; line < {depth}; line += 64)"))
            {
                w.Line($"{Names.Kernels}ByteRowBatch.Prefetch(ref {u}.Add(ref row, line));");
            }
        }
    }

    /// <summary>Sums the tile's accumulators across their lanes four at a time (<c>TOps.Sum4</c>), the last one to three alone.</summary>
    private static void WriteLaneSums(IndentedWriter w, int rows, int columns)
    {
        var sums = new System.Collections.Generic.List<string>();
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < columns; j++)
            {
                sums.Add($"{r}_{j}");
            }
        }
        int whole = sums.Count - sums.Count % 4;
        for (int i = 0; i < whole; i += 4)
        {
            w.Line($"var q{i / 4} = TOps.Sum4(s{sums[i]}, s{sums[i + 1]}, s{sums[i + 2]}, s{sums[i + 3]});");
            for (int lane = 0; lane < 4; lane++)
            {
                w.Line($"t{sums[i + lane]} = {Names.Vector128}.GetElement(q{i / 4}, {lane});");
            }
        }
        for (int i = whole; i < sums.Count; i++)
        {
            w.Line($"t{sums[i]} = TOps.Sum(s{sums[i]});");
        }
    }

    private static void WriteTile(IndentedWriter w, MatrixProduct p, int depth, int rows, int columns, bool fromBytes)
    {
        string u = Names.Unsafe;
        w.Line($"ref float aP = ref {u}.Add(ref {p.A}, m * {p.ARowStride});");
        w.Line($"ref float bP = ref {u}.Add(ref {p.B}, n * {p.BStride});");
        if (fromBytes)
        {
            for (int r = 0; r < rows; r++)
            {
                w.Line($"ref byte x{r} = ref {u}.Add(ref {p.ByteSource}, (nint){u}.Add(ref {p.ByteRowIndices}, m + {r}) * {depth});");
            }
            // The rows this strip's lines are requested for; none past the batch (the strip then requests nothing).
            w.Line($"bool ahead = m + {p.ByteRowsAhead + rows} <= {p.M.Expression};");
            for (int r = 0; r < rows; r++)
            {
                w.Line($"ref byte next{r} = ref ahead ? ref {u}.Add(ref {p.ByteSource}, (nint){u}.Add(ref {p.ByteRowIndices}, m + {p.ByteRowsAhead + r}) * {depth}) : ref x{r};");
            }
        }
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < columns; j++)
            {
                w.Line($"float t{r}_{j} = 0f;");
            }
        }
        w.Line("nuint k = 0;");
        // The JIT folds this test per register width: a depth shorter than one register skips the vector loop and
        // the lane sums of zero registers (a 1 -> 1 layer would otherwise spend most of its time there).
        using (w.Open($"if ({depth} >= TOps.Count)"))
        {
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < columns; j++)
                {
                    w.Line($"TVec s{r}_{j} = TOps.Zero;");
                }
            }
            using (w.Open($"for (; k + (nuint)TOps.Count <= {depth}; k += (nuint)TOps.Count)"))
            {
                if (fromBytes)
                {
                    using (w.Open("if (ahead && (k & 63) == 0)"))
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            w.Line($"{Names.Kernels}ByteRowBatch.Prefetch(ref {u}.Add(ref next{r}, k));");
                        }
                    }
                }
                for (int r = 0; r < rows; r++)
                {
                    if (fromBytes)
                    {
                        w.Line($"TVec a{r} = TOps.LoadBytes(ref x{r}, k);");
                        w.Line($"TOps.Store(a{r}, ref aP, k + {r * p.ARowStride});");
                    }
                    else
                    {
                        w.Line($"TVec a{r} = TOps.Load(ref aP, k + {r * p.ARowStride});");
                    }
                }
                for (int j = 0; j < columns; j++)
                {
                    w.Line($"TVec b{j} = TOps.Load(ref bP, k + {j * p.BStride});");
                    for (int r = 0; r < rows; r++)
                    {
                        w.Line($"s{r}_{j} = TOps.MultiplyAdd(a{r}, b{j}, s{r}_{j});");
                    }
                }
            }
            WriteLaneSums(w, rows, columns);
        }
        using (w.Open($"for (; k < {depth}; k++)"))
        {
            for (int r = 0; r < rows; r++)
            {
                if (fromBytes)
                {
                    w.Line($"float a{r} = {u}.Add(ref x{r}, k) * {Names.Kernels}ByteRowBatch.Scale;");
                    w.Line($"{u}.Add(ref aP, k + {r * p.ARowStride}) = a{r};");
                }
                else
                {
                    w.Line($"float a{r} = {u}.Add(ref aP, k + {r * p.ARowStride});");
                }
            }
            for (int j = 0; j < columns; j++)
            {
                w.Line($"float b{j} = {u}.Add(ref bP, k + {j * p.BStride});");
                for (int r = 0; r < rows; r++)
                {
                    w.Line($"t{r}_{j} += a{r} * b{j};");
                }
            }
        }
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < columns; j++)
            {
                string t = $"t{r}_{j}";
                string offset = $"(m + {r}) * {p.Ldc} + n + {j}";
                switch (p.Epilogue)
                {
                    case EpilogueKind.BiasActivation:
                        w.Line($"{u}.Add(ref {p.C}, {offset}) = {Names.Activation(p.Activation)}.Apply({t} + {u}.Add(ref {p.Bias}, n + {j}));");
                        break;
                    case EpilogueKind.BackPropagate:
                        w.Line($"{u}.Add(ref {p.C}, {offset}) = {Names.Activation(p.Activation)}.BackPropagate<{Names.Kernels}ScalarOps, float>({u}.Add(ref {p.Activations}, {offset}), {t});");
                        break;
                    default:
                        w.Line($"{u}.Add(ref {p.C}, {offset}) = {t};");
                        break;
                }
            }
        }
    }
}
