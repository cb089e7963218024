using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using HpcSgd.Benchmarks.Workloads;

namespace HpcSgd.Benchmarks;

/// <summary>
/// A second probe, for cells named <c>L1Tile:W4/B64</c>: the register tile the generated kernels use on this budget
/// (8 rows x 2 vectors with AVX-512, 6 x 2 on 16 registers), run over operands that stay in L1, for as many FLOPs as a
/// step of the named cell. Unlike the FMA probe (registers only) it loads what the tile loads: a broadcast per row and
/// two vectors per depth step, with the depth loop unrolled four times at constant offsets as the generated kernels
/// unroll it (the loop's own instructions would otherwise count against the tile). Where it falls below the FMA probe, something else on the core (a neighbour on the
/// other hardware thread, say) is taking the load ports or L1 the kernels need, which the FMA probe cannot see.
/// <see cref="Probe"/> gives the same tile's rate for a sample beside the FMA probe's (SampleServer).
/// </summary>
public sealed class L1TileRunner : IStepRunner
{
    private static readonly L1TileRunner ProbeTile = new("W4", 64);

    private const int Depth = 128;
    private const int Unroll = 4;
    private readonly float[] a;
    private readonly float[] b;
    private readonly float[] c = new float[8 * 32];
    private readonly int calls;
    private readonly bool wide = Vector512.IsHardwareAccelerated;

    public L1TileRunner(string workload, int batch)
    {
        int rows = wide ? 8 : 6, columns = wide ? 32 : 16;
        a = new float[rows * Depth];
        b = new float[Depth * columns];
        for (int i = 0; i < a.Length; i++)
            a[i] = 1f / (i + 1);
        for (int i = 0; i < b.Length; i++)
            b[i] = 1f / (i + 2);
        double flopsPerCall = 2.0 * rows * columns * Depth;
        calls = Math.Max(1, (int)Math.Round(WorkloadCatalog.FlopsPerSample(workload) * batch / flopsPerCall));
    }

    private double FlopsPerStep => calls * 2.0 * (wide ? 8 * 32 : 6 * 16) * Depth;

    /// <summary>GFLOP/s of the tile on operands in L1, over <paramref name="steps"/> passes of a W4/B64 step's FLOPs.</summary>
    public static double Probe(int steps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++)
            ProbeTile.Step();
        return steps * ProbeTile.FlopsPerStep / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
    }

    /// <summary>A whole number of tile passes, as close as can be to the FLOPs of a step of the named cell.</summary>
    public void Step()
    {
        for (int i = 0; i < calls; i++)
        {
            if (wide)
                Tile512(a, b, c);
            else
                Tile256(a, b, c);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(float[] a, float[] b, float[] c)
    {
        ref float ap = ref a[0];
        ref float bp = ref b[0];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (nuint k = 0; k < Depth; k += Unroll, ap = ref Unsafe.Add(ref ap, Unroll), bp = ref Unsafe.Add(ref bp, Unroll * 32))
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref bp, 0), b1 = Vector512.LoadUnsafe(ref bp, 16);
            Vector512<float> x = Vector512.Create(Unsafe.Add(ref ap, 0 * Depth + 0));
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref ap, 1 * Depth + 0));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref ap, 2 * Depth + 0));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref ap, 3 * Depth + 0));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref ap, 4 * Depth + 0));
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref ap, 5 * Depth + 0));
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref ap, 6 * Depth + 0));
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref ap, 7 * Depth + 0));
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b0 = Vector512.LoadUnsafe(ref bp, 32); b1 = Vector512.LoadUnsafe(ref bp, 48);
            x = Vector512.Create(Unsafe.Add(ref ap, 0 * Depth + 1));
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref ap, 1 * Depth + 1));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref ap, 2 * Depth + 1));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref ap, 3 * Depth + 1));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref ap, 4 * Depth + 1));
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref ap, 5 * Depth + 1));
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref ap, 6 * Depth + 1));
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref ap, 7 * Depth + 1));
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b0 = Vector512.LoadUnsafe(ref bp, 64); b1 = Vector512.LoadUnsafe(ref bp, 80);
            x = Vector512.Create(Unsafe.Add(ref ap, 0 * Depth + 2));
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref ap, 1 * Depth + 2));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref ap, 2 * Depth + 2));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref ap, 3 * Depth + 2));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref ap, 4 * Depth + 2));
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref ap, 5 * Depth + 2));
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref ap, 6 * Depth + 2));
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref ap, 7 * Depth + 2));
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b0 = Vector512.LoadUnsafe(ref bp, 96); b1 = Vector512.LoadUnsafe(ref bp, 112);
            x = Vector512.Create(Unsafe.Add(ref ap, 0 * Depth + 3));
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref ap, 1 * Depth + 3));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref ap, 2 * Depth + 3));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref ap, 3 * Depth + 3));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref ap, 4 * Depth + 3));
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref ap, 5 * Depth + 3));
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref ap, 6 * Depth + 3));
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref ap, 7 * Depth + 3));
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        ref float cp = ref c[0];
        (c00 + c01 + c10 + c11 + c20 + c21 + c30 + c31 + c40 + c41 + c50 + c51 + c60 + c61 + c70 + c71).StoreUnsafe(ref cp);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile256(float[] a, float[] b, float[] c)
    {
        ref float ap = ref a[0];
        ref float bp = ref b[0];
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (nuint k = 0; k < Depth; k += Unroll, ap = ref Unsafe.Add(ref ap, Unroll), bp = ref Unsafe.Add(ref bp, Unroll * 16))
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref bp, 0), b1 = Vector256.LoadUnsafe(ref bp, 8);
            Vector256<float> x = Vector256.Create(Unsafe.Add(ref ap, 0 * Depth + 0));
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref ap, 1 * Depth + 0));
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref ap, 2 * Depth + 0));
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref ap, 3 * Depth + 0));
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref ap, 4 * Depth + 0));
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref ap, 5 * Depth + 0));
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            b0 = Vector256.LoadUnsafe(ref bp, 16); b1 = Vector256.LoadUnsafe(ref bp, 24);
            x = Vector256.Create(Unsafe.Add(ref ap, 0 * Depth + 1));
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref ap, 1 * Depth + 1));
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref ap, 2 * Depth + 1));
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref ap, 3 * Depth + 1));
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref ap, 4 * Depth + 1));
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref ap, 5 * Depth + 1));
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            b0 = Vector256.LoadUnsafe(ref bp, 32); b1 = Vector256.LoadUnsafe(ref bp, 40);
            x = Vector256.Create(Unsafe.Add(ref ap, 0 * Depth + 2));
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref ap, 1 * Depth + 2));
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref ap, 2 * Depth + 2));
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref ap, 3 * Depth + 2));
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref ap, 4 * Depth + 2));
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref ap, 5 * Depth + 2));
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            b0 = Vector256.LoadUnsafe(ref bp, 48); b1 = Vector256.LoadUnsafe(ref bp, 56);
            x = Vector256.Create(Unsafe.Add(ref ap, 0 * Depth + 3));
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref ap, 1 * Depth + 3));
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref ap, 2 * Depth + 3));
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref ap, 3 * Depth + 3));
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref ap, 4 * Depth + 3));
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref ap, 5 * Depth + 3));
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        ref float cp = ref c[0];
        (c00 + c01 + c10 + c11 + c20 + c21 + c30 + c31 + c40 + c41 + c50 + c51).StoreUnsafe(ref cp);
    }
}
