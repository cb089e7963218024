using HpcSgd.Data;
using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Training;

namespace HpcSgd.Tuning;

public static partial class GradientNoise
{
    /// <summary>Index order, batch and gradient buffers for drawing mini-batch gradients.</summary>
    private sealed class Scratch<TModel> where TModel : ISgdModel<TModel>
    {
        private const int Chunk = 256;
        private readonly Dataset<TModel> data;
        private readonly int[] order;

        /// <summary>Samples in the data set the batches are drawn from (without replacement).</summary>
        public int Count => data.Count;
        private readonly AlignedFloats inputs;
        private readonly AlignedFloats targets;
        private readonly AlignedFloats gradient;
        private readonly AlignedFloats chunkGradient;
        private readonly AlignedFloats workspace;
        private readonly float[] norms;
        private readonly float[] inputNorms;
        private int lastBatch;

        public Scratch(Dataset<TModel> data, int largestBatch)
        {
            this.data = data;
            ModelDescription d = TModel.Description;
            int rows = Math.Max(largestBatch, Math.Min(Chunk, data.Count));
            order = new int[data.Count];
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }
            inputs = new AlignedFloats(rows * d.InputCount);
            targets = new AlignedFloats(rows * d.TargetWidth);
            gradient = new AlignedFloats(d.ParameterCount);
            chunkGradient = new AlignedFloats(d.ParameterCount);
            workspace = new AlignedFloats(TModel.WorkspaceLength(rows));
            norms = new float[largestBatch];
            inputNorms = new float[largestBatch];
        }

        /// <summary>The sum over the last <see cref="BatchGradient"/>'s samples of their own squared gradient norms.</summary>
        public double PerExampleSquaredNormSum(ReadOnlySpan<float> parameters, int batch)
        {
            if (batch != lastBatch)
            {
                throw new InvalidOperationException("the per-example norms follow the gradient of the same batch.");
            }
            int inputWidth = TModel.Description.InputCount, targetWidth = TModel.Description.TargetWidth;
            ReadOnlySpan<float> known = data.InputSquaredNorms;
            for (int i = 0; i < batch; i++)
            {
                inputNorms[i] = known[order[i]];
            }
            TModel.PerExampleGradientNorms(parameters, inputs.Slice(0, batch * inputWidth), targets.Slice(0, batch * targetWidth), workspace,
                inputNorms.AsSpan(0, batch), norms.AsSpan(0, batch), batch);
            double sum = 0;
            for (int i = 0; i < batch; i++)
            {
                sum += norms[i];
            }
            return sum;
        }

        /// <summary>The mean-loss gradient over all samples, chunk by chunk, weighted by chunk size.</summary>
        public void FullGradient(ReadOnlySpan<float> parameters, Span<float> result)
        {
            int inputWidth = TModel.Description.InputCount, targetWidth = TModel.Description.TargetWidth;
            lastBatch = 0; // the workspace no longer holds a drawn batch
            result.Clear();
            for (int start = 0; start < data.Count; start += Chunk)
            {
                int n = Math.Min(Chunk, data.Count - start);
                TModel.LossAndGradient(parameters, data.Features.Slice(start * inputWidth, n * inputWidth),
                    data.Targets.Slice(start * targetWidth, n * targetWidth), chunkGradient, workspace, n);
                float weight = (float)n / data.Count;
                Span<float> chunk = chunkGradient;
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] += weight * chunk[i];
                }
            }
        }

        /// <summary>The gradient of one mini-batch drawn uniformly without replacement.</summary>
        public ReadOnlySpan<float> BatchGradient(ReadOnlySpan<float> parameters, int batch, ref SeededRandom random)
        {
            int inputWidth = TModel.Description.InputCount, targetWidth = TModel.Description.TargetWidth;
            for (int i = 0; i < batch; i++)
            {
                int j = i + random.NextInt(order.Length - i);
                (order[i], order[j]) = (order[j], order[i]);
                data.FeaturesOf(order[i]).CopyTo(inputs.Slice(i * inputWidth, inputWidth));
                data.TargetOf(order[i]).CopyTo(targets.Slice(i * targetWidth, targetWidth));
            }
            TModel.LossAndGradient(parameters, inputs.Slice(0, batch * inputWidth), targets.Slice(0, batch * targetWidth),
                gradient, workspace, batch);
            lastBatch = batch;
            return gradient.Span;
        }
    }
}
