using HpcSgd.Kernels;
using HpcSgd.Data;

namespace HpcSgd.Models;

/// <summary>
/// A model's parameters and the operations on them: prediction, loss, accuracy, save and load.
/// Prediction, loss and accuracy may run on many threads at once (each thread has its own workspace); training
/// changes the parameters and must not overlap them.
/// </summary>
/// <typeparam name="TModel">A type declared with [SgdModel] and [Dense].</typeparam>
public sealed class Model<TModel> where TModel : ISgdModel<TModel>
{
    /// <summary>Samples per kernel call in <see cref="Predict(ReadOnlySpan{float}, Span{float})"/>; bounds the workspace.</summary>
    internal const int PredictionChunk = 256;

    private readonly AlignedFloats parameters;

    /// <summary>Per thread (and per model type): concurrent predictions on one shared model must not share scratch memory.</summary>
    [ThreadStatic]
    private static AlignedFloats threadWorkspace;

    /// <summary>A model with seeded initial parameters (see <see cref="ParameterInitializer"/>).</summary>
    public Model(ulong seed = 0)
    {
        parameters = new AlignedFloats(TModel.Description.ParameterCount);
        ParameterInitializer.Initialize(TModel.Description, parameters, seed);
    }

    /// <summary>A model holding a copy of <paramref name="parameters"/>.</summary>
    public Model(ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != TModel.Description.ParameterCount)
        {
            throw new ArgumentException(
                $"parameters holds {parameters.Length} floats but {TModel.Description.Name} has {TModel.Description.ParameterCount}.", nameof(parameters));
        }
        this.parameters = new AlignedFloats(parameters.Length);
        parameters.CopyTo(this.parameters);
    }

    /// <summary>The declared shape and layout.</summary>
    public static ModelDescription Description => TModel.Description;

    /// <summary>The weights and biases, laid out as <see cref="ModelDescription.Layers"/> says; writable.</summary>
    public Span<float> Parameters => parameters;

    /// <summary>
    /// Predicts for every sample in <paramref name="inputs"/> (count x InputCount) into
    /// <paramref name="outputs"/> (count x OutputCount). Allocates nothing after the first call.
    /// </summary>
    public void Predict(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        int inputCount = Description.InputCount;
        int outputCount = Description.OutputCount;
        if (inputs.IsEmpty || inputs.Length % inputCount != 0)
        {
            throw new ArgumentException(
                $"inputs holds {inputs.Length} floats; it needs a positive multiple of {Description.Name}'s {inputCount} inputs.", nameof(inputs));
        }
        int count = inputs.Length / inputCount;
        if (outputs.Length < (long)count * outputCount)
        {
            throw new ArgumentException(
                $"outputs holds {outputs.Length} floats but {count} samples need {(long)count * outputCount}.", nameof(outputs));
        }
        Span<float> scratch = Workspace();
        for (int start = 0; start < count; start += PredictionChunk)
        {
            int n = Math.Min(PredictionChunk, count - start);
            TModel.Predict(parameters, inputs.Slice(start * inputCount, n * inputCount),
                outputs.Slice(start * outputCount, n * outputCount), scratch, n);
        }
    }

    /// <summary>Predicts for every sample in <paramref name="inputs"/> into a new array.</summary>
    public float[] Predict(ReadOnlySpan<float> inputs)
    {
        var outputs = new float[inputs.Length / Description.InputCount * Description.OutputCount];
        Predict(inputs, outputs);
        return outputs;
    }

    /// <summary>The predicted class of one sample: argmax of the softmax, or probability &gt;= 0.5 for binary cross-entropy.</summary>
    public int Classify(ReadOnlySpan<float> input)
    {
        if (Description.Loss == Loss.MeanSquaredError)
        {
            throw new InvalidOperationException($"{Description.Name} is a regression model; use Predict.");
        }
        Span<float> output = Description.OutputCount <= 64 ? stackalloc float[Description.OutputCount] : new float[Description.OutputCount];
        Predict(input[..Description.InputCount], output);
        if (Description.Loss == Loss.BinaryCrossEntropy)
        {
            return output[0] >= 0.5f ? 1 : 0;
        }
        int best = 0;
        for (int c = 1; c < output.Length; c++)
        {
            if (output[c] > output[best])
            {
                best = c;
            }
        }
        return best;
    }

    /// <summary>Mean loss over <paramref name="data"/>.</summary>
    public float EvaluateLoss(Dataset<TModel> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return LossEvaluator<TModel>.MeanLoss(parameters, data, Workspace());
    }

    /// <summary>Fraction of <paramref name="data"/> classified correctly (classifiers only).</summary>
    public double Accuracy(Dataset<TModel> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            if (Classify(data.FeaturesOf(i)) == (int)data.TargetOf(i)[0])
            {
                correct++;
            }
        }
        return (double)correct / data.Count;
    }

    /// <summary>Saves the parameters with this model's identity (see <see cref="ModelFile"/>), atomically.</summary>
    public void Save(string path) => ModelFile.Save(path, Description, parameters);

    /// <summary>Loads a model saved by <see cref="Save"/>; refuses another model's file, an unknown format, or a damaged file.</summary>
    public static Model<TModel> Load(string path) => new(ModelFile.Load(path, Description));

    private static Span<float> Workspace()
    {
        if (threadWorkspace.Length == 0)
        {
            threadWorkspace = new AlignedFloats(TModel.WorkspaceLength(PredictionChunk));
        }
        return threadWorkspace;
    }
}
