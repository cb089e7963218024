using HpcSgd.Models;

namespace HpcSgd.Data;

public sealed partial class Dataset<TModel>
{
    /// <summary>
    /// Overwrites sample <paramref name="index"/> (features, and the target as the dataset stores it: OutputCount values
    /// for mean squared error, one value in [0, 1] for binary cross-entropy, one class index for softmax), checked as on
    /// construction; allocates nothing. For learning online from a fixed-size buffer of recent observations (a game
    /// records what happened each frame, then trains a slice). Call it between steps, never while a session that uses
    /// this dataset runs one; a session that gathers ahead may train one more batch on the old sample.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a sample of this dataset.</exception>
    /// <exception cref="ArgumentException">A length does not match the model, or a value is not finite or out of range.</exception>
    public void Replace(int index, ReadOnlySpan<float> features, ReadOnlySpan<float> target)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        ModelDescription model = TModel.Description;
        if (features.Length != model.InputCount)
        {
            throw new ArgumentException(FormattableString.Invariant($"features holds {features.Length} floats; {model.Name} takes {model.InputCount} inputs."), nameof(features));
        }
        if (target.Length != model.TargetWidth)
        {
            throw new ArgumentException(FormattableString.Invariant($"target holds {target.Length} floats; a sample of {model.Name} has {model.TargetWidth} ({TargetForm(model)})."), nameof(target));
        }
        CheckFinite(features, model.InputCount, nameof(features), "input");
        CheckTarget(target, model);
        features.CopyTo(this.features.AsSpan(index * model.InputCount));
        target.CopyTo(targets.AsSpan(index * model.TargetWidth));
        if (interleaved is { } rows)
        {
            int stride = model.InputCount + model.TargetWidth;
            features.CopyTo(rows.AsSpan(index * stride));
            target.CopyTo(rows.AsSpan(index * stride + model.InputCount));
        }
        ReplaceByteRow(index, features);
        if (inputSquaredNorms is { } norms)
        {
            norms[index] = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(features);
        }
        contentHashed = false;
    }

    private static string TargetForm(ModelDescription model) => model.Loss switch
    {
        Loss.MeanSquaredError => "one value per output",
        Loss.BinaryCrossEntropy => "one value in [0, 1]",
        _ => "one class index",
    };

    /// <summary>The rule for one stored target value, shared with construction: finite (regression), in [0, 1] (binary), a class index (softmax).</summary>
    private static bool IsValidTarget(float value, ModelDescription model) => model.Loss switch
    {
        Loss.MeanSquaredError => float.IsFinite(value),
        Loss.BinaryCrossEntropy => value >= 0f && value <= 1f,
        _ => value >= 0f && value < model.OutputCount && value == MathF.Floor(value),
    };

    private static void CheckTarget(ReadOnlySpan<float> target, ModelDescription model)
    {
        for (int i = 0; i < target.Length; i++)
        {
            float value = target[i];
            if (!IsValidTarget(value, model))
            {
                string range = model.Loss == Loss.SoftmaxCrossEntropy
                    ? FormattableString.Invariant($" in [0, {model.OutputCount}).{StartAtZero(value, model.OutputCount)}") : ".";
                throw new ArgumentException(FormattableString.Invariant($"target[{i}] is {value}; {model.Name} needs {TargetForm(model)}{range}"), nameof(target));
            }
        }
    }
}
