using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using HpcSgd.Kernels;
using HpcSgd.Models;

namespace HpcSgd.Training;

/// <summary>
/// Writes into <paramref name="sum"/> the share of the batch's mean-loss gradient that rows [start, start + count) of the
/// current batch contribute, using <paramref name="workspace"/>; returns their mean loss.
/// </summary>
internal delegate float PartGradient(int start, int count, int batch, AlignedFloats sum, AlignedFloats workspace);

/// <summary>
/// The batch split into one contiguous part per worker (sizes fixed by batch and worker count), each part's
/// share of the gradient in the worker's own buffer (in chunks when the part is larger than the cache); then each
/// worker sums one slice of the parameters over the parts in part order. Nothing depends on which thread runs first.
/// </summary>
internal sealed class ParallelGradient<TModel> : IParallelWork, IDisposable where TModel : ISgdModel<TModel>
{
    private readonly PartGradient part;
    private readonly AlignedFloats gradient;
    private readonly WorkerPool pool;
    private readonly AlignedFloats[] gradients;
    private readonly AlignedFloats[] workspaces;
    private readonly float[] losses;
    private readonly int[] counts;
    private int batch;
    private bool reducing;

    /// <summary>Workers for batches of up to <paramref name="batchSize"/> rows; each batch's gradient lands in <paramref name="gradient"/>.</summary>
    public ParallelGradient(int batchSize, int workers, AlignedFloats gradient, PartGradient part)
    {
        this.part = part;
        this.gradient = gradient;
        int rows = (batchSize + workers - 1) / workers;
        gradients = new AlignedFloats[workers];
        workspaces = new AlignedFloats[workers];
        for (int w = 0; w < workers; w++)
        {
            gradients[w] = new AlignedFloats(TModel.Description.ParameterCount);
            workspaces[w] = new AlignedFloats(TModel.WorkspaceLength(rows));
        }
        losses = new float[workers];
        counts = new int[workers];
        pool = new WorkerPool(workers);
    }

    public long AllocatedOnWorkers => pool.AllocatedOnWorkers;

    public int ThreadsAlive => pool.ThreadsAlive;

    /// <summary>The gradient of a batch of <paramref name="batchSize"/> rows into the gradient buffer; returns its mean loss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float LossAndGradient(int batchSize)
    {
        batch = batchSize;
        reducing = false;
        pool.Run(this);
        reducing = true;
        pool.Run(this);
        float loss = 0f;
        for (int w = 0; w < losses.Length; w++)
        {
            loss += losses[w] * counts[w] / batch;
        }
        return loss;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int worker, int workers)
    {
        if (!reducing)
        {
            (int start, int count) = Part(batch, workers, worker);
            counts[worker] = count;
            losses[worker] = count == 0 ? 0f : part(start, count, batch, gradients[worker], workspaces[worker]);
            return;
        }
        // Slices of the parameters on whole cache lines, so neighbouring workers never share one.
        int parameters = gradient.Length;
        int per = (parameters / workers + 15) & ~15;
        int from = Math.Min(parameters, worker * per);
        int to = worker == workers - 1 ? parameters : Math.Min(parameters, from + per);
        Span<float> sum = gradient.Slice(from, to - from);
        sum.Clear();
        for (int w = 0; w < workers; w++)
        {
            if (counts[w] > 0)
            {
                TensorPrimitives.Add(gradients[w].Slice(from, to - from), sum, sum);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Start, int Count) Part(int batch, int workers, int worker)
    {
        int size = batch / workers, extra = batch % workers;
        int start = worker * size + Math.Min(worker, extra);
        return (start, size + (worker < extra ? 1 : 0));
    }

    public void Dispose() => pool.Dispose();
}
