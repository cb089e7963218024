namespace HpcSgd.Tests.Tuning;

/// <summary>Linear regression with four inputs: per-sample gradients are known in closed form, so the noise scale is too.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = [8, 64])]
[Dense(4, 1)]
public partial class NoiseRegression { }

/// <summary>Softmax regression on 8 x 8 digits, as the CLI's digits model.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [8, 32, 128])]
[Dense(64, 10)]
public partial class DigitsSoftmax { }
