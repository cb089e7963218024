using System.Numerics.Tensors;
using HpcSgd.Kernels;
using HpcSgd.Models;
using HpcSgd.Tuning;

namespace HpcSgd.Training;

// TrainingOptions.TrackNoiseScale: each step's batch also gives the gradient noise scale (see NoiseTracker).
public sealed partial class TrainingSession<TModel>
{
    /// <summary>
    /// The gradient noise scale B_simple measured from the steps so far (<see cref="TrainingOptions.TrackNoiseScale"/>),
    /// weighted towards the last <see cref="TrainingOptions.NoiseScaleWindow"/> steps, with its 95% interval; null when
    /// not tracked or before a step with a batch of 2 or more. Allocates the result; <see cref="TrainingProgress.NoiseScale"/>
    /// carries the number alone.
    /// </summary>
    public NoiseScaleEstimate? NoiseScale() => noise?.Estimate(StepsDone, samplesSeen, lastBatchSize);

    private double CurrentNoiseScale => noise?.NoiseScale ?? double.NaN;

    private (NoiseTracker?, float[], float[]) NoiseBuffers(int batch) => options.TrackNoiseScale
        ? (new NoiseTracker(options.NoiseScaleWindow, data.Count), new float[batch], new float[batch])
        : (null, [], []);

    /// <summary>
    /// The step unfused: gradient, then the per-example norms from what the gradient left in the workspace (before the
    /// parameters change), then the update. The same parameters as the fused step bit for bit.
    /// </summary>
    private float NoiseTrackedStep(int batch, in UpdateRule rule, float lossLimit)
    {
        ModelDescription description = TModel.Description;
        Span<float> inputs = batchInputs.Slice(0, batch * description.InputCount);
        Span<float> targets = batchTargets.Slice(0, batch * description.TargetWidth);
        ReadOnlySpan<int> rows = sampler.Batch(batch);
        gather.Rows(rows, inputs, targets);
        float loss = TModel.LossAndGradient(model.Parameters, inputs, targets, gradient, workspace, batch);
        if (!(float.IsFinite(loss) && loss <= lossLimit))
        {
            return loss; // as the fused step: the parameters stay as they were
        }
        ReadOnlySpan<float> known = data.InputSquaredNorms;
        for (int i = 0; i < rows.Length; i++)
        {
            noiseInputNorms[i] = known[rows[i]];
        }
        Span<float> norms = noiseNorms.AsSpan(0, batch);
        TModel.PerExampleGradientNorms(model.Parameters, inputs, targets, workspace, noiseInputNorms.AsSpan(0, batch), norms, batch);
        double sum = 0;
        foreach (float norm in norms)
        {
            sum += norm;
        }
        noise!.Add(sum, TensorPrimitives.SumOfSquares<float>(gradient.Span), batch);
        TModel.Update(model.Parameters, gradient, velocity, rule);
        return loss;
    }
}
