namespace HpcSgd.Training;

/// <summary>How each step's mini-batch is drawn from the training set.</summary>
public enum BatchSampling
{
    /// <summary>
    /// Each epoch visits every sample once in a fresh random order, in consecutive batches; the last batch of an
    /// epoch holds the remainder (fewer samples) unless <see cref="TrainingOptions.DropLastPartialBatch"/> is set.
    /// </summary>
    ShuffledEpochs = 0,

    /// <summary>
    /// Each step draws a batch of distinct samples uniformly at random, independent of earlier steps
    /// (NumPy's <c>choice(n, batch, replace=False)</c> per step, as in the classic SGD example).
    /// </summary>
    RandomBatches = 1,
}
