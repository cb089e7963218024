using HpcSgd.Kernels;

namespace HpcSgd.Models;

/// <summary>
/// What a declared model provides. The HpcSgd generator implements it on every <c>partial</c> type marked
/// with <see cref="SgdModelAttribute"/>; nobody writes it by hand. Members are static so that
/// <c>Trainer</c> and <see cref="Model{TModel}"/> call the kernels without virtual dispatch.
/// </summary>
/// <remarks>
/// Buffers are row-major: inputs are batchSize x <see cref="ModelDescription.InputCount"/>, targets are
/// batchSize x <see cref="ModelDescription.TargetWidth"/>, outputs are batchSize x
/// <see cref="ModelDescription.OutputCount"/>. The parameter and gradient buffers follow the layout of
/// <see cref="ModelDescription.Layers"/>. Every method checks span lengths up front and throws
/// <see cref="ArgumentException"/> naming the argument; none allocates.
/// </remarks>
public interface ISgdModel<TSelf> where TSelf : ISgdModel<TSelf>
{
    /// <summary>The declared shape, loss, batch sizes and parameter layout.</summary>
    static abstract ModelDescription Description { get; }

    /// <summary>Floats of scratch space the kernels need for a batch of <paramref name="batchSize"/>.</summary>
    static abstract int WorkspaceLength(int batchSize);

    /// <summary>
    /// Writes predictions for <paramref name="batchSize"/> samples: the last layer's outputs for mean squared
    /// error, sigmoid probabilities for binary cross-entropy, softmax probabilities for softmax cross-entropy.
    /// </summary>
    static abstract void Predict(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, Span<float> outputs, Span<float> workspace, int batchSize);

    /// <summary>Returns the mean loss over <paramref name="batchSize"/> samples.</summary>
    static abstract float EvaluateLoss(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Span<float> workspace, int batchSize);

    /// <summary>
    /// Returns the mean loss over <paramref name="batchSize"/> samples and overwrites <paramref name="gradient"/>
    /// with the gradient of that mean loss with respect to every parameter.
    /// </summary>
    static abstract float LossAndGradient(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Span<float> gradient, Span<float> workspace, int batchSize);

    /// <summary>
    /// Returns the mean loss over <paramref name="batchSize"/> samples and adds <paramref name="weight"/> times the
    /// gradient of that mean loss to <paramref name="gradient"/>, which keeps what it held. A large batch processed in
    /// chunks (each chunk's rows still in cache when its backward pass re-reads them) sums its gradient this way with
    /// weight = chunk size / batch size: the weight-gradient kernels add each finished tile to the sum instead of
    /// storing a chunk gradient that a further pass would add up. Throws when <paramref name="weight"/> is not finite.
    /// </summary>
    static abstract float AccumulateLossAndGradient(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Span<float> gradient, Span<float> workspace, int batchSize, float weight);

    /// <summary>
    /// Applies one SGD step to <paramref name="parameters"/> (see <see cref="UpdateRule"/>);
    /// <paramref name="velocity"/> holds the momentum buffer and may be empty when the momentum is 0.
    /// </summary>
    static abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradient, Span<float> velocity, in UpdateRule rule);

    /// <summary>
    /// Writes into <paramref name="norms"/> the squared norm of each sample's own loss gradient |grad l_b|^2 (over all
    /// parameters) for the batch that <see cref="LossAndGradient"/> last ran on with the same <paramref name="parameters"/>,
    /// <paramref name="inputs"/>, <paramref name="targets"/> and <paramref name="workspace"/> (it reads what that call left
    /// in the workspace). With the batch gradient G_B this gives the gradient noise at every step: tr(Sigma) ~
    /// (sum |g_b|^2 - B |G_B|^2) / (B - 1). Costs one pass over each layer's inputs and deltas, no matrix product; the
    /// model inputs' squared norms may be passed in <paramref name="inputSquaredNorms"/> (one per sample, e.g. gathered
    /// from <c>Dataset.InputSquaredNorms</c>, computed once) to skip the widest of those passes, or left empty.
    /// </summary>
    static abstract void PerExampleGradientNorms(ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> workspace, ReadOnlySpan<float> inputSquaredNorms, Span<float> norms, int batchSize);

    /// <summary>
    /// One whole training step: forward, loss, and, unless the loss is not finite or exceeds
    /// <paramref name="lossLimit"/>, backward and <see cref="Update"/> with <paramref name="rule"/>; returns the mean
    /// loss. The result equals <see cref="LossAndGradient"/> followed by <see cref="Update"/> bit for bit. At declared
    /// batch sizes up to 256 the update is fused into the weight-gradient kernels, which then never store the
    /// gradient (one pass over the parameters saved) and leave <paramref name="gradient"/> unspecified; otherwise
    /// <paramref name="gradient"/> receives the gradient. When the loss fails the check the parameters are untouched.
    /// </summary>
    static abstract float TrainStep(Span<float> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Span<float> gradient, Span<float> velocity, Span<float> workspace, int batchSize, in UpdateRule rule, float lossLimit);

    /// <summary>
    /// <see cref="TrainStep(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, int, in UpdateRule, float)"/>
    /// on a batch of byte rows (<paramref name="rows"/>, <see cref="ByteRowBatch.Count"/> samples), which it widens into
    /// <paramref name="inputs"/> (batch size x InputCount floats) on the way, with the same result bit for bit. Where the
    /// first layer runs in dot form its forward pass reads the rows itself, so their cache misses overlap its arithmetic
    /// instead of preceding it. Throws when the rows' width is not the model's input count.
    /// </summary>
    static abstract float TrainStep(Span<float> parameters, ByteRowBatch rows, Span<float> inputs, ReadOnlySpan<float> targets, Span<float> gradient, Span<float> velocity, Span<float> workspace, in UpdateRule rule, float lossLimit);

    /// <summary>
    /// <see cref="AccumulateLossAndGradient(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, float)"/>
    /// on a batch of byte rows, widened into <paramref name="inputs"/> on the way (see the byte-row <c>TrainStep</c>).
    /// </summary>
    static abstract float AccumulateLossAndGradient(ReadOnlySpan<float> parameters, ByteRowBatch rows, Span<float> inputs, ReadOnlySpan<float> targets, Span<float> gradient, Span<float> workspace, float weight);
}
