using HpcSgd.Kernels;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// The softmax cross-entropy head against the formulas in double, at class counts on both sides of its two-vector rows
/// (9-16 classes where 256-bit vectors are accelerated; a loop per class otherwise, as on ARM64): the loss, every
/// delta, and a row that holds a NaN.
/// </summary>
[Trait("Category", "Kernels")]
public class SoftmaxHeadTests
{
    [Theory]
    [InlineData(2, 5)]
    [InlineData(8, 64)]
    [InlineData(9, 1)]
    [InlineData(9, 33)]
    [InlineData(10, 64)]
    [InlineData(13, 7)]
    [InlineData(16, 64)]
    [InlineData(17, 5)]
    [InlineData(40, 3)]
    public void LossAndDelta_MatchSoftmaxCrossEntropyInDouble(int classes, int batch)
    {
        var random = new Random(classes * 1000 + batch);
        float[] z = new float[batch * classes];
        float[] labels = new float[batch];
        for (int b = 0; b < batch; b++)
        {
            // Rows of small logits, of large ones (an exponential without the max subtracted would overflow), and a
            // row whose largest logit is the label's.
            float spread = b % 3 == 1 ? 80f : 4f;
            for (int c = 0; c < classes; c++)
            {
                z[b * classes + c] = (float)(random.NextDouble() * 2 - 1) * spread;
            }
            labels[b] = random.Next(classes);
        }
        (double loss, double[] delta) = Reference(z, labels, classes);

        float head = LossHeads.SoftmaxCrossEntropyLossAndDelta(ref z[0], ref labels[0], batch, classes);

        Assert.Equal(loss, head, loss * 1e-6 + 1e-6);
        for (int i = 0; i < z.Length; i++)
        {
            Assert.True(Math.Abs(delta[i] - z[i]) <= 1e-6 / batch + Math.Abs(delta[i]) * 1e-5,
                $"delta {i} (row {i / classes}, class {i % classes}): {z[i]} against {delta[i]}");
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(12)]
    [InlineData(20)]
    public void A_row_with_a_NaN_gives_a_NaN_loss(int classes)
    {
        float[] z = new float[3 * classes];
        float[] labels = [0, 1, 2];
        z[classes + classes - 1] = float.NaN; // the last class of the middle row, which only the second vector holds
        Assert.True(float.IsNaN(LossHeads.SoftmaxCrossEntropyLossAndDelta(ref z[0], ref labels[0], 3, classes)));
    }

    private static (double Loss, double[] Delta) Reference(float[] z, float[] labels, int classes)
    {
        int batch = labels.Length;
        double loss = 0;
        double[] delta = new double[z.Length];
        for (int b = 0; b < batch; b++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                max = Math.Max(max, z[b * classes + c]);
            }
            double total = 0;
            for (int c = 0; c < classes; c++)
            {
                total += Math.Exp(z[b * classes + c] - max);
            }
            int label = (int)labels[b];
            loss += Math.Log(total) + max - z[b * classes + label];
            for (int c = 0; c < classes; c++)
            {
                delta[b * classes + c] = (Math.Exp(z[b * classes + c] - max) / total - (c == label ? 1 : 0)) / batch;
            }
        }
        return (loss / batch, delta);
    }
}
