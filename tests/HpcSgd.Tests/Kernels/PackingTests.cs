using HpcSgd.Kernels;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// Packing.TransposedStrips against the definition, element by element, with A and the copy in buffers exactly as long
/// as they must be and sentinels around the copy: its eight-float copies must neither read past A nor write past the
/// copy, and every element must land where the packed tiles read it.
/// </summary>
[Trait("Category", "Kernels")]
public class PackingTests
{
    [Theory]
    [InlineData(784, 784, 64, 6)]     // W4's x^T: 130 strips of 6 and one of 4
    [InlineData(784, 784, 256, 6)]
    [InlineData(784, 784, 37, 6)]     // a depth block of a run-time batch size
    [InlineData(30, 30, 5, 6)]
    [InlineData(20, 24, 9, 8)]        // depth steps further apart than A's rows
    [InlineData(9, 9, 3, 8)]          // a leftover strip of one row
    [InlineData(7, 8, 11, 3)]
    [InlineData(10, 16, 4, 12)]       // strips wider than eight floats: element by element
    [InlineData(5, 5, 1, 6)]
    public void PackedStrips_HoldEveryElementWhereTheTileReadsIt_AndNothingElseChanges(int rows, int depthStride, int depth, int stripRows)
    {
        var random = new Random(rows * 31 + depth);
        float[] a = new float[(depth - 1) * depthStride + rows];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)random.NextDouble();
        }
        float[] original = (float[])a.Clone();
        const int guard = 16;
        float[] packed = new float[guard + rows * depth + guard];
        Array.Fill(packed, float.NaN);

        Packing.TransposedStrips(ref a[0], (nuint)depthStride, (nuint)rows, (nuint)depth, (nuint)stripRows, ref packed[guard]);

        for (int m = 0; m < rows; m += stripRows)
        {
            int width = Math.Min(stripRows, rows - m);
            for (int k = 0; k < depth; k++)
            {
                for (int r = 0; r < width; r++)
                {
                    Assert.Equal(a[k * depthStride + m + r], packed[guard + m * depth + k * width + r]);
                }
            }
        }
        Assert.All(packed.Take(guard).Concat(packed.Skip(guard + rows * depth)), value => Assert.True(float.IsNaN(value)));
        Assert.Equal(original, a);
    }
}
