using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace HpcSgd.Kernels;

/// <summary>
/// The losses of <see cref="Loss"/> on a batch of last-layer outputs z (row-major, batch x outputs).
/// The <c>LossAndDelta</c> forms return the mean loss and overwrite z with dL/dz of the mean loss, which
/// the generated backward pass then propagates; sums run in double so a large batch loses no precision.
/// </summary>
public static class LossHeads
{
    /// <summary>
    /// Mean squared error 1/count * sum (a - y)^2 over <paramref name="count"/> = batch * outputs values, where a are
    /// the last layer's outputs after its activation; a becomes dL/dz = 2 (a - y) / count * f'(z), f being
    /// <typeparamref name="TActivation"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float MeanSquaredErrorLossAndDelta<TActivation>(ref float a, ref float targets, int count)
        where TActivation : struct, IActivation
    {
        double sum = 0;
        float scale = 2f / count;
        for (nuint i = 0; i < (nuint)count; i++)
        {
            float output = Unsafe.Add(ref a, i);
            float d = output - Unsafe.Add(ref targets, i);
            sum += d * d;
            Unsafe.Add(ref a, i) = d * scale * TActivation.Derivative(output);
        }
        return (float)(sum / count);
    }

    /// <summary>Mean squared error 1/count * sum (z - y)^2; z is left unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float MeanSquaredErrorLoss(ref float z, ref float targets, int count)
    {
        double sum = 0;
        for (nuint i = 0; i < (nuint)count; i++)
        {
            float d = Unsafe.Add(ref z, i) - Unsafe.Add(ref targets, i);
            sum += d * d;
        }
        return (float)(sum / count);
    }

    /// <summary>
    /// Binary cross-entropy on sigmoid(z) with one output per sample, targets y in [0, 1]:
    /// mean of max(z, 0) - y z + log(1 + exp(-|z|)); z becomes (sigmoid(z) - y) / batch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float BinaryCrossEntropyLossAndDelta(ref float z, ref float targets, int batch)
    {
        double sum = 0;
        float scale = 1f / batch;
        for (nuint i = 0; i < (nuint)batch; i++)
        {
            float logit = Unsafe.Add(ref z, i);
            float y = Unsafe.Add(ref targets, i);
            sum += BinaryCrossEntropy(logit, y);
            Unsafe.Add(ref z, i) = (SigmoidActivation.Apply(logit) - y) * scale;
        }
        return (float)(sum / batch);
    }

    /// <summary>Binary cross-entropy on sigmoid(z), mean over the batch; z is left unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float BinaryCrossEntropyLoss(ref float z, ref float targets, int batch)
    {
        double sum = 0;
        for (nuint i = 0; i < (nuint)batch; i++)
        {
            sum += BinaryCrossEntropy(Unsafe.Add(ref z, i), Unsafe.Add(ref targets, i));
        }
        return (float)(sum / batch);
    }

    /// <summary>
    /// Softmax cross-entropy with class-index targets: mean of logsumexp(z) - z[label];
    /// each row of z becomes (softmax(z) - onehot(label)) / batch. The exponentials run as one vectorized
    /// <see cref="TensorPrimitives.Exp{T}(ReadOnlySpan{T}, Span{T})"/> pass over the whole batch (scalar exp would
    /// cost as much as the matrix products of a softmax regression).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SoftmaxCrossEntropyLossAndDelta(ref float z, ref float labels, int batch, int classes)
    {
        if (Vector256.IsHardwareAccelerated && classes > Vector256<float>.Count && classes <= 2 * Vector256<float>.Count)
        {
            return SoftmaxCrossEntropyLossAndDeltaInTwoVectors(ref z, ref labels, batch, classes);
        }
        Span<float> all = MemoryMarshal.CreateSpan(ref z, batch * classes);
        double sum = 0;
        for (nuint b = 0; b < (nuint)batch; b++)
        {
            ref float row = ref Unsafe.Add(ref z, b * (nuint)classes);
            float max = Max(ref row, classes);
            for (nuint c = 0; c < (nuint)classes; c++)
            {
                Unsafe.Add(ref row, c) -= max;
            }
            sum -= Unsafe.Add(ref row, (int)Unsafe.Add(ref labels, b)); // -(z[label] - max)
        }
        TensorPrimitives.Exp(all, all);
        float scale = 1f / batch;
        for (nuint b = 0; b < (nuint)batch; b++)
        {
            ref float row = ref Unsafe.Add(ref z, b * (nuint)classes);
            float total = 0f;
            for (nuint c = 0; c < (nuint)classes; c++)
            {
                total += Unsafe.Add(ref row, c);
            }
            sum += MathF.Log(total);
            float normalize = scale / total;
            for (nuint c = 0; c < (nuint)classes; c++)
            {
                Unsafe.Add(ref row, c) *= normalize;
            }
            Unsafe.Add(ref row, (int)Unsafe.Add(ref labels, b)) -= scale;
        }
        return (float)(sum / batch);
    }

    /// <summary>
    /// <see cref="SoftmaxCrossEntropyLossAndDelta"/> for 9 to 16 classes: each row as two 8-lane vectors, the second
    /// ending at the row's end and so repeating some of the first's lanes. No load reaches past its row, so a row never
    /// waits for the previous row's stores, and a row's maximum, sum and scaling take a few vector operations instead
    /// of a loop per class. The exponentials are the same single pass and the logarithms take one too, so the deltas
    /// differ from the loops' only by the order of each row's sum (and the loss by the logarithm's last bit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float SoftmaxCrossEntropyLossAndDeltaInTwoVectors(ref float z, ref float labels, int batch, int classes)
    {
        nuint second = (nuint)classes - (nuint)Vector256<float>.Count;
        // Lanes of the second vector past the first one's end: the others repeat classes the first vector holds.
        Vector256<float> own = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(2 * Vector256<float>.Count - classes)).AsSingle();
        double sum = 0;
        for (nuint b = 0; b < (nuint)batch; b++)
        {
            ref float row = ref Unsafe.Add(ref z, b * (nuint)classes);
            Vector256<float> low = Vector256.LoadUnsafe(ref row), high = Vector256.LoadUnsafe(ref row, second);
            Vector256<float> max = Vector256.Create(MaxAcross(Vector256.Max(low, high)));
            (low - max).StoreUnsafe(ref row);
            (high - max).StoreUnsafe(ref row, second);
            sum -= Unsafe.Add(ref row, (int)Unsafe.Add(ref labels, b)); // -(z[label] - max)
        }
        Span<float> all = MemoryMarshal.CreateSpan(ref z, batch * classes);
        TensorPrimitives.Exp(all, all);
        float scale = 1f / batch;
        // The rows' logarithms in one vectorized pass per block of rows, like the exponentials.
        Span<float> totals = stackalloc float[LogBlock];
        for (int first = 0; first < batch; first += LogBlock)
        {
            int rows = Math.Min(LogBlock, batch - first);
            for (int r = 0; r < rows; r++)
            {
                ref float row = ref Unsafe.Add(ref z, (nuint)(first + r) * (nuint)classes);
                Vector256<float> low = Vector256.LoadUnsafe(ref row), high = Vector256.LoadUnsafe(ref row, second);
                float total = Vector256.Sum(low + (high & own));
                totals[r] = total;
                Vector256<float> normalize = Vector256.Create(scale / total);
                (low * normalize).StoreUnsafe(ref row);
                (high * normalize).StoreUnsafe(ref row, second);
                Unsafe.Add(ref row, (int)Unsafe.Add(ref labels, first + r)) -= scale;
            }
            Span<float> block = totals[..rows];
            TensorPrimitives.Log(block, block);
            for (int r = 0; r < rows; r++)
            {
                sum += block[r];
            }
        }
        return (float)(sum / batch);
    }

    /// <summary>Rows whose logarithms <see cref="SoftmaxCrossEntropyLossAndDeltaInTwoVectors"/> takes in one pass.</summary>
    private const int LogBlock = 64;

    /// <summary>The largest of the eight lanes (NaN if any is).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxAcross(Vector256<float> v)
    {
        Vector128<float> m = Vector128.Max(v.GetLower(), v.GetUpper());
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        return Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>Softmax cross-entropy with class-index targets, mean over the batch; z is left unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SoftmaxCrossEntropyLoss(ref float z, ref float labels, int batch, int classes)
    {
        double sum = 0;
        for (nuint b = 0; b < (nuint)batch; b++)
        {
            ref float row = ref Unsafe.Add(ref z, b * (nuint)classes);
            float max = Max(ref row, classes);
            float total = 0f;
            for (nuint c = 0; c < (nuint)classes; c++)
            {
                total += MathF.Exp(Unsafe.Add(ref row, c) - max);
            }
            sum += MathF.Log(total) + max - Unsafe.Add(ref row, (int)Unsafe.Add(ref labels, b));
        }
        return (float)(sum / batch);
    }

    /// <summary>Turns each logit into sigmoid(z), the predicted probability of class 1.</summary>
    public static void SigmoidInPlace(ref float z, int count)
    {
        for (nuint i = 0; i < (nuint)count; i++)
        {
            Unsafe.Add(ref z, i) = SigmoidActivation.Apply(Unsafe.Add(ref z, i));
        }
    }

    /// <summary>Turns each row of logits into softmax probabilities (one vectorized exponential pass over the batch).</summary>
    public static void SoftmaxInPlace(ref float z, int batch, int classes)
    {
        for (nuint b = 0; b < (nuint)batch; b++)
        {
            ref float row = ref Unsafe.Add(ref z, b * (nuint)classes);
            float max = Max(ref row, classes);
            for (nuint c = 0; c < (nuint)classes; c++)
            {
                Unsafe.Add(ref row, c) -= max;
            }
        }
        Span<float> all = MemoryMarshal.CreateSpan(ref z, batch * classes);
        TensorPrimitives.Exp(all, all);
        for (nuint b = 0; b < (nuint)batch; b++)
        {
            ref float row = ref Unsafe.Add(ref z, b * (nuint)classes);
            float total = 0f;
            for (nuint c = 0; c < (nuint)classes; c++)
            {
                total += Unsafe.Add(ref row, c);
            }
            float normalize = 1f / total;
            for (nuint c = 0; c < (nuint)classes; c++)
            {
                Unsafe.Add(ref row, c) *= normalize;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float BinaryCrossEntropy(float z, float y) =>
        MathF.Max(z, 0f) - y * z + MathF.Log(1f + MathF.Exp(-MathF.Abs(z)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Max(ref float row, int count)
    {
        float max = row;
        for (nuint c = 1; c < (nuint)count; c++)
        {
            max = MathF.Max(max, Unsafe.Add(ref row, c));
        }
        return max;
    }
}
