using System.Runtime.Intrinsics;
using HpcSgd.Kernels;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// Sum4 replaces four lane sums at the end of every dot-form tile, so it must give Sum's floats bit for bit on every width
/// (the trained parameters would otherwise depend on how a tile groups its accumulators).
/// </summary>
[Trait("Category", "Kernels")]
public class LaneSumTests
{
    [Fact]
    public void Sum4_EqualsFourSums_BitForBit_Vector512()
    {
        if (Vector512.IsHardwareAccelerated)
        {
            AssertSum4EqualsSums<Vector512Ops, Vector512<float>>();
        }
    }

    [Fact]
    public void Sum4_EqualsFourSums_BitForBit_Vector256()
    {
        if (Vector256.IsHardwareAccelerated)
        {
            AssertSum4EqualsSums<Vector256Ops, Vector256<float>>();
        }
    }

    [Fact]
    public void Sum4_EqualsFourSums_BitForBit_Vector128()
    {
        if (Vector128.IsHardwareAccelerated)
        {
            AssertSum4EqualsSums<Vector128Ops, Vector128<float>>();
        }
    }

    [Fact]
    public void Sum4_EqualsFourSums_BitForBit_Scalar() => AssertSum4EqualsSums<ScalarOps, float>();

    private static void AssertSum4EqualsSums<TOps, TVec>() where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        int lanes = TOps.Count;
        var random = new Random(4);
        var values = new float[4 * lanes];
        int orderMattered = 0;
        for (int sample = 0; sample < 2000; sample++)
        {
            for (int i = 0; i < values.Length; i++)
            {
                // Magnitudes spread over many binades, so the order of the additions changes the rounded sum.
                values[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-20, 20)));
            }
            TVec a = TOps.Load(ref values[0], 0), b = TOps.Load(ref values[0], (nuint)lanes);
            TVec c = TOps.Load(ref values[0], (nuint)(2 * lanes)), d = TOps.Load(ref values[0], (nuint)(3 * lanes));
            Vector128<float> sums = TOps.Sum4(a, b, c, d);
            TVec[] registers = [a, b, c, d];
            for (int r = 0; r < 4; r++)
            {
                float expected = TOps.Sum(registers[r]);
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(sums.GetElement(r)));
                float inLaneOrder = 0f;
                for (int lane = 0; lane < lanes; lane++)
                {
                    inLaneOrder += values[r * lanes + lane];
                }
                orderMattered += inLaneOrder != expected ? 1 : 0;
            }
        }
        if (lanes > 2)
        {
            Assert.True(orderMattered > 0, "the samples never told one order of the additions from another");
        }
    }
}
