using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.ComponentModel;

namespace HpcSgd.Models;

/// <summary>Up-front argument checks for the generated kernel entry points; generated code calls these.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelArguments
{
    // The checks are inlined into the entry points (compiled optimized on first call, never recompiled mid-run), their
    // throws stay out of line.

    /// <summary>Throws unless <paramref name="batchSize"/> is positive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckBatchSize(int batchSize)
    {
        if (batchSize <= 0)
        {
            ThrowBatchSize(batchSize);
        }
    }

    /// <summary>Throws unless <paramref name="length"/> is at least <paramref name="required"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckLength(int length, long required, string argument, string what)
    {
        if (length < required)
        {
            ThrowLength(length, required, argument, what);
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

    /// <summary>Throws unless a batch's byte rows are as wide as the model's input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckByteRows(int width, int inputCount, string argument)
    {
        if (width != inputCount)
        {
            ThrowByteRows(width, inputCount, argument);
        }
    }

    /// <summary>Throws unless the weight of a gradient added to a sum is finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckWeight(float weight)
    {
        if (!float.IsFinite(weight))
        {
            ThrowWeight(weight);
        }
    }

    /// <summary>Throws unless every label is an integer class index in [0, <paramref name="classes"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    [DoesNotReturn]
    private static void ThrowBatchSize(int batchSize) =>
        throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");

    [DoesNotReturn]
    private static void ThrowLength(int length, long required, string argument, string what) =>
        throw new ArgumentException(FormattableString.Invariant($"{argument} holds {length} floats but {required} are needed ({what})."), argument);

    [DoesNotReturn]
    private static void ThrowByteRows(int width, int inputCount, string argument) =>
        throw new ArgumentException(FormattableString.Invariant($"{argument} are rows of {width} bytes but the model takes {inputCount} inputs."), argument);

    [DoesNotReturn]
    private static void ThrowWeight(float weight) =>
        throw new ArgumentOutOfRangeException(nameof(weight), weight, "The weight of the added gradient must be a finite number.");
}
