using System.ComponentModel;

namespace HpcSgd.Models;

/// <summary>Up-front argument checks for the generated kernel entry points; generated code calls these.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelArguments
{
    /// <summary>Throws unless <paramref name="batchSize"/> is positive.</summary>
    public static void CheckBatchSize(int batchSize)
    {
        if (batchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        }
    }

    /// <summary>Throws unless <paramref name="length"/> is at least <paramref name="required"/>.</summary>
    public static void CheckLength(int length, long required, string argument, string what)
    {
        if (length < required)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"{argument} holds {length} floats but {required} are needed ({what})."), argument);
        }
    }

    /// <summary>Throws unless an optional span is empty or holds exactly <paramref name="required"/> values.</summary>
    public static void CheckOptionalLength(int length, int required, string argument, string what)
    {
        if (length != 0 && length != required)
        {
            throw new ArgumentException($"{argument} holds {length} values; it must be empty or hold {what} ({required}).", argument);
        }
    }

    /// <summary>Throws unless the weight of a gradient added to a sum is finite.</summary>
    public static void CheckWeight(float weight)
    {
        if (!float.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "The weight of the added gradient must be a finite number.");
        }
    }

    /// <summary>Throws unless every label is an integer class index in [0, <paramref name="classes"/>).</summary>
    public static void CheckLabels(ReadOnlySpan<float> labels, int classes, string argument)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            float label = labels[i];
            if (!(label >= 0f && label < classes) || label != MathF.Floor(label))
            {
                throw new ArgumentException(
                    FormattableString.Invariant($"{argument}[{i}] is {label}, which is not a class index in [0, {classes})."), argument);
            }
        }
    }
}
