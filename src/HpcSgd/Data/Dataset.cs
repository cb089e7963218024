using System.Runtime.CompilerServices;
using HpcSgd.Models;

namespace HpcSgd.Data;

/// <summary>
/// Samples for a model: features (count x InputCount, row-major) and targets (count x TargetWidth),
/// copied into contiguous storage and checked against <typeparamref name="TModel"/> once, on construction:
/// shapes, NaN and infinities, class labels, binary targets in [0, 1]. Afterwards only <see cref="Replace"/> changes
/// a sample (checked the same way).
/// </summary>
/// <remarks>
/// Targets by loss: mean squared error, OutputCount values per sample; binary cross-entropy, one value in
/// [0, 1]; softmax cross-entropy, one class index per sample, or a one-hot row of OutputCount values,
/// which is stored as its index.
/// </remarks>
public sealed partial class Dataset<TModel> where TModel : ISgdModel<TModel>
{
    private readonly float[] features;
    private readonly float[] targets;

    /// <summary>Checks and copies <paramref name="features"/> and <paramref name="targets"/>.</summary>
    /// <exception cref="ArgumentException">A shape does not match the model, or a value is NaN, infinite or out of range.</exception>
    public Dataset(ReadOnlySpan<float> features, ReadOnlySpan<float> targets)
    {
        ModelDescription model = TModel.Description;
        Count = SampleCount(features, model);
        CheckFinite(features, model.InputCount, nameof(features), "input");
        this.features = features.ToArray();
        this.targets = ReadTargets(targets, Count, model);
    }

    /// <summary>Checks and copies <paramref name="features"/> and the class indices <paramref name="labels"/> of a classifier.</summary>
    public Dataset(ReadOnlySpan<float> features, ReadOnlySpan<int> labels)
    {
        ModelDescription model = TModel.Description;
        if (model.Loss == Loss.MeanSquaredError)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"labels are class indices, but {model.Name} is a regression model (Loss.MeanSquaredError); pass float targets."), nameof(labels));
        }
        Count = SampleCount(features, model);
        CheckFinite(features, model.InputCount, nameof(features), "input");
        if (labels.Length != Count)
        {
            throw new ArgumentException(FormattableString.Invariant($"labels holds {labels.Length} values but features hold {Count} samples; give one label per sample."), nameof(labels));
        }
        int classes = model.Loss == Loss.BinaryCrossEntropy ? 2 : model.OutputCount;
        this.features = features.ToArray();
        targets = new float[Count];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentException(FormattableString.Invariant($"labels[{i}] is {labels[i]}, which is not a class index in [0, {classes}).{StartAtZero(labels[i], classes)}"), nameof(labels));
            }
            targets[i] = labels[i];
        }
    }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>All features, row-major: Count x InputCount.</summary>
    public ReadOnlySpan<float> Features
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => features;
    }

    /// <summary>All targets, row-major: Count x TargetWidth (class labels as floats for classifiers).</summary>
    public ReadOnlySpan<float> Targets
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => targets;
    }

    /// <summary>
    /// A 64-bit hash (XXH3) of the features and targets, computed on first use: what checkpoints and sweep journals
    /// record so that a run is only ever resumed on the data it started with.
    /// </summary>
    public ulong ContentHash
    {
        get
        {
            if (!contentHashed)
            {
                var hasher = new System.IO.Hashing.XxHash3();
                hasher.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.AsSpan()));
                hasher.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(targets.AsSpan()));
                contentHash = hasher.GetCurrentHashAsUInt64();
                contentHashed = true; // volatile: the hash is visible before the flag on every thread
            }
            return contentHash;
        }
    }

    /// <summary>Each sample's |x|^2 (computed on first use): what per-example gradient norms need of the fixed inputs.</summary>
    public ReadOnlySpan<float> InputSquaredNorms
    {
        get
        {
            if (inputSquaredNorms is not { } norms)
            {
                int width = TModel.Description.InputCount;
                norms = new float[Count];
                for (int i = 0; i < Count; i++)
                {
                    norms[i] = System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(features.AsSpan(i * width, width));
                }
                inputSquaredNorms = norms;
            }
            return inputSquaredNorms;
        }
    }

    private volatile float[]? inputSquaredNorms;

    private ulong contentHash;
    private volatile bool contentHashed;

    /// <summary>
    /// Samples of at most this many floats (features and target together) are also kept side by side in
    /// <see cref="InterleavedRows"/>, so that a shuffled batch reads one cache line per sample instead of one in each array.
    /// </summary>
    internal const int InterleavedRowLimit = 16;

    /// <summary>True when the samples are narrow enough for <see cref="InterleavedRows"/>.</summary>
    internal static bool HasNarrowRows => TModel.Description.InputCount + TModel.Description.TargetWidth <= InterleavedRowLimit;

    /// <summary>
    /// Features then target of each sample, Count rows of InputCount + TargetWidth floats and <see cref="InterleavedRowLimit"/>
    /// floats of padding (a 16-lane load from the last row stays inside); built on first use (narrow samples only, see
    /// <see cref="HasNarrowRows"/>), at most once even when several sessions share the data set.
    /// </summary>
    internal float[] InterleavedRows => LazyInitializer.EnsureInitialized(ref interleaved, Interleave);

    private float[]? interleaved;

    private float[] Interleave()
    {
        if (!HasNarrowRows)
        {
            throw new InvalidOperationException($"{TModel.Description.Name}'s samples are too wide to interleave.");
        }
        int inputWidth = TModel.Description.InputCount, targetWidth = TModel.Description.TargetWidth, stride = inputWidth + targetWidth;
        var rows = new float[(long)Count * stride + InterleavedRowLimit];
        for (int i = 0; i < Count; i++)
        {
            features.AsSpan(i * inputWidth, inputWidth).CopyTo(rows.AsSpan(i * stride, inputWidth));
            targets.AsSpan(i * targetWidth, targetWidth).CopyTo(rows.AsSpan(i * stride + inputWidth, targetWidth));
        }
        return rows;
    }

    /// <summary>The features of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> FeaturesOf(int index) => features.AsSpan(index * TModel.Description.InputCount, TModel.Description.InputCount);

    /// <summary>The target of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> TargetOf(int index) => targets.AsSpan(index * TModel.Description.TargetWidth, TModel.Description.TargetWidth);

    private static int SampleCount(ReadOnlySpan<float> features, ModelDescription model)
    {
        if (features.IsEmpty)
        {
            throw new ArgumentException("features is empty; a dataset needs at least one sample.", nameof(features));
        }
        if (features.Length % model.InputCount != 0)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"features holds {features.Length} floats, which is not a whole number of samples of {model.Name}'s {model.InputCount} inputs."), nameof(features));
        }
        return features.Length / model.InputCount;
    }

    private static void CheckFinite(ReadOnlySpan<float> values, int width, string argument, string what)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException(
                    FormattableString.Invariant($"{argument}[{i}] (sample {i / width}, {what} {i % width}) is {values[i]}; datasets must hold finite numbers."), argument);
            }
        }
    }

    private static float[] ReadTargets(ReadOnlySpan<float> targets, int count, ModelDescription model)
    {
        switch (model.Loss)
        {
            case Loss.MeanSquaredError:
                ExpectLength(targets, count, model.OutputCount, model, "one value per output");
                CheckFinite(targets, model.OutputCount, nameof(targets), "output");
                return targets.ToArray();

            case Loss.BinaryCrossEntropy:
                ExpectLength(targets, count, 1, model, "one value in [0, 1] per sample");
                for (int i = 0; i < targets.Length; i++)
                {
                    if (!IsValidTarget(targets[i], model))
                    {
                        throw new ArgumentException(
                            FormattableString.Invariant($"targets[{i}] is {targets[i]}; binary cross-entropy needs targets in [0, 1]."), nameof(targets));
                    }
                }
                return targets.ToArray();

            default:
                int classes = model.OutputCount;
                if (targets.Length == (long)count * classes && targets.Length != count)
                {
                    return OneHotToLabels(targets, count, classes);
                }
                ExpectLength(targets, count, 1, model, FormattableString.Invariant($"one class index per sample, or a one-hot row of {classes}"));
                for (int i = 0; i < targets.Length; i++)
                {
                    float label = targets[i];
                    if (!IsValidTarget(label, model))
                    {
                        throw new ArgumentException(
                            FormattableString.Invariant($"targets[{i}] is {label}, which is not a class index in [0, {classes}).{StartAtZero(label, classes)}"), nameof(targets));
                    }
                }
                return targets.ToArray();
        }
    }

    /// <summary>The hint for labels numbered from 1: the one past the last index is their largest label.</summary>
    private static string StartAtZero(float label, int classes) =>
        label == classes ? FormattableString.Invariant($" Class indices start at 0: labels 1..{classes} need 1 subtracted.") : "";

    private static float[] OneHotToLabels(ReadOnlySpan<float> oneHot, int count, int classes)
    {
        var labels = new float[count];
        for (int s = 0; s < count; s++)
        {
            int hot = -1;
            for (int c = 0; c < classes; c++)
            {
                float value = oneHot[s * classes + c];
                if (value == 1f && hot < 0)
                {
                    hot = c;
                }
                else if (value != 0f)
                {
                    throw new ArgumentException(
                        FormattableString.Invariant($"targets row {s} is not one-hot: targets[{s * classes + c}] (class {c}) is {value}; each row needs a single 1 and zeros elsewhere."), "targets");
                }
            }
            if (hot < 0)
            {
                throw new ArgumentException(FormattableString.Invariant($"targets row {s} is not one-hot: it has no 1."), "targets");
            }
            labels[s] = hot;
        }
        return labels;
    }

    private static void ExpectLength(ReadOnlySpan<float> targets, int count, int width, ModelDescription model, string what)
    {
        if (targets.Length != (long)count * width)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"targets holds {targets.Length} floats but {count} samples of {model.Name} need {(long)count * width} ({what})."), nameof(targets));
        }
    }
}
