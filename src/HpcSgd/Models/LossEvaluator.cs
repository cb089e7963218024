using System.Runtime.CompilerServices;
using HpcSgd.Data;

namespace HpcSgd.Models;

/// <summary>Mean loss over a whole dataset, in chunks so the workspace stays bounded; allocation-free.</summary>
internal static class LossEvaluator<TModel> where TModel : ISgdModel<TModel>
{
    public const int Chunk = Model<TModel>.PredictionChunk;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float MeanLoss(ReadOnlySpan<float> parameters, Dataset<TModel> data, Span<float> workspace)
    {
        int inputs = TModel.Description.InputCount;
        int targets = TModel.Description.TargetWidth;
        double total = 0;
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int n = Math.Min(Chunk, data.Count - start);
            float loss = TModel.EvaluateLoss(parameters, data.Features.Slice(start * inputs, n * inputs),
                data.Targets.Slice(start * targets, n * targets), workspace, n);
            total += (double)loss * n;
        }
        return (float)(total / data.Count);
    }
}
