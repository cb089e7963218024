namespace HpcSgd;

/// <summary>The loss a model is trained on. It sits after the last <see cref="DenseAttribute"/> layer.</summary>
public enum Loss
{
    /// <summary>
    /// Mean squared error over every output of every sample: L = 1/(B*O) * sum (z - y)^2.
    /// Regression with any number of outputs; predictions are the last layer's outputs.
    /// </summary>
    MeanSquaredError = 0,

    /// <summary>
    /// Binary cross-entropy on a sigmoid output, folded into one stable formula:
    /// L = 1/B * sum (max(z, 0) - y*z + log(1 + exp(-|z|))). One output; targets in [0, 1];
    /// predictions are sigmoid(z), the probability of class 1.
    /// </summary>
    BinaryCrossEntropy = 1,

    /// <summary>
    /// Softmax cross-entropy, folded into one stable formula: L = 1/B * sum (logsumexp(z) - z[label]).
    /// Two or more outputs; targets are class indices (or one-hot rows, converted on load);
    /// predictions are the softmax probabilities.
    /// </summary>
    SoftmaxCrossEntropy = 2,
}
