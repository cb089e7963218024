using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace HpcSgd.Benchmarks.Baselines;

/// <summary>The row operations a hand-written dense network is built from.</summary>
public interface IRowMath
{
    static abstract float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b);

    /// <summary>y += s * x.</summary>
    static abstract void AddScaled(Span<float> y, ReadOnlySpan<float> x, float s);
}

/// <summary>Plain loops, as a C# developer writes them first.</summary>
public readonly struct ScalarRows : IRowMath
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    public static void AddScaled(Span<float> y, ReadOnlySpan<float> x, float s)
    {
        for (int i = 0; i < y.Length; i++) y[i] += s * x[i];
    }
}

/// <summary>System.Numerics.Tensors, the vectorized span library a .NET developer reaches for next.</summary>
public readonly struct TensorPrimitivesRows : IRowMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(Span<float> y, ReadOnlySpan<float> x, float s) => TensorPrimitives.MultiplyAdd(x, s, y, y);
}

/// <summary>
/// A baseline: the same SGD step written by hand, shapes known only at run time: layers of PyTorch-layout weights
/// (one row per output), ReLU between layers, MSE or softmax cross-entropy; batches drawn from a shuffled epoch
/// order and gathered, plain SGD update. Allocation-free per step, like HpcSgd.
/// </summary>
public sealed class HandWrittenSgd<TRows> where TRows : struct, IRowMath
{
    private readonly int[] sizes;
    private readonly bool softmax;
    private readonly float learningRate;
    private readonly float[][] weights, biases, weightGrads, biasGrads, activations, deltas;
    private readonly float[] features, targets;
    private readonly int count, batch;
    private readonly int[] order;
    private readonly Random random = new(7);
    private int position;

    public HandWrittenSgd(int[] sizes, bool softmax, float learningRate, float[] features, float[] targets, int count, int batch)
    {
        this.sizes = sizes;
        this.softmax = softmax;
        this.learningRate = learningRate;
        this.features = features;
        this.targets = targets;
        this.count = count;
        this.batch = batch;
        int layers = sizes.Length - 1;
        weights = new float[layers][];
        biases = new float[layers][];
        weightGrads = new float[layers][];
        biasGrads = new float[layers][];
        activations = new float[layers + 1][];
        deltas = new float[layers + 1][];
        var init = new Random(3);
        for (int l = 0; l < layers; l++)
        {
            float bound = MathF.Sqrt(6f / sizes[l]);
            weights[l] = Enumerable.Range(0, sizes[l] * sizes[l + 1]).Select(_ => (float)(init.NextDouble() * 2 - 1) * bound).ToArray();
            biases[l] = new float[sizes[l + 1]];
            weightGrads[l] = new float[weights[l].Length];
            biasGrads[l] = new float[sizes[l + 1]];
        }
        for (int l = 0; l <= layers; l++)
        {
            activations[l] = new float[batch * sizes[l]];
            deltas[l] = new float[batch * sizes[l]];
        }
        order = Enumerable.Range(0, count).ToArray();
        position = count;
    }

    public float Step()
    {
        int layers = sizes.Length - 1;
        if (position + batch > count)
        {
            random.Shuffle(order);
            position = 0;
        }
        int inputs = sizes[0];
        for (int b = 0; b < batch; b++)
        {
            features.AsSpan(order[position + b] * inputs, inputs).CopyTo(activations[0].AsSpan(b * inputs));
        }

        for (int l = 0; l < layers; l++)
        {
            int n = sizes[l], m = sizes[l + 1];
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> x = activations[l].AsSpan(b * n, n);
                Span<float> y = activations[l + 1].AsSpan(b * m, m);
                for (int o = 0; o < m; o++)
                {
                    float z = biases[l][o] + TRows.Dot(x, weights[l].AsSpan(o * n, n));
                    y[o] = l < layers - 1 ? MathF.Max(z, 0f) : z;
                }
            }
        }

        int outputs = sizes[^1];
        float loss = 0;
        float[] top = activations[layers], topDelta = deltas[layers];
        for (int b = 0; b < batch; b++)
        {
            int index = order[position + b];
            if (softmax)
            {
                Span<float> row = top.AsSpan(b * outputs, outputs);
                Span<float> d = topDelta.AsSpan(b * outputs, outputs);
                int label = (int)targets[index];
                float max = TensorPrimitives.Max<float>(row);
                float sum = 0;
                for (int o = 0; o < outputs; o++) { d[o] = MathF.Exp(row[o] - max); sum += d[o]; }
                loss += MathF.Log(sum) + max - row[label];
                for (int o = 0; o < outputs; o++) d[o] = d[o] / sum / batch;
                d[label] -= 1f / batch;
            }
            else
            {
                for (int o = 0; o < outputs; o++)
                {
                    float diff = top[b * outputs + o] - targets[index * outputs + o];
                    loss += diff * diff;
                    topDelta[b * outputs + o] = 2 * diff / (batch * outputs);
                }
            }
        }
        position += batch;

        for (int l = layers - 1; l >= 0; l--)
        {
            int n = sizes[l], m = sizes[l + 1];
            weightGrads[l].AsSpan().Clear();
            biasGrads[l].AsSpan().Clear();
            if (l > 0) deltas[l].AsSpan().Clear();
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> x = activations[l].AsSpan(b * n, n);
                Span<float> dx = deltas[l].AsSpan(b * n, n);
                for (int o = 0; o < m; o++)
                {
                    float d = deltas[l + 1][b * m + o];
                    biasGrads[l][o] += d;
                    TRows.AddScaled(weightGrads[l].AsSpan(o * n, n), x, d);
                    if (l > 0) TRows.AddScaled(dx, weights[l].AsSpan(o * n, n), d);
                }
                if (l > 0)
                {
                    for (int i = 0; i < n; i++) if (x[i] <= 0f) dx[i] = 0f;
                }
            }
            TRows.AddScaled(weights[l], weightGrads[l], -learningRate);
            TRows.AddScaled(biases[l], biasGrads[l], -learningRate);
        }
        return loss / batch;
    }
}
