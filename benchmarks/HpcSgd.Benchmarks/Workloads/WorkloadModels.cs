using HpcSgd;

namespace HpcSgd.Benchmarks.Workloads;

// The reference workloads of ../shared/WORKLOADS.md, each twice: with the suite's batch sizes declared
// (specialized kernels) and without (every batch takes the general path), run side by side on identical work.
// 256 and 1024 are declared too: the halves of 512 and 2048 that two threads each take.

/// <summary>W1: linear regression, 1 -> 1, MSE.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = [1, 8, 32, 128, 256, 512, 1024, 2048])]
[Dense(1, 1)]
public partial class W1 { }

/// <summary>W1 on the general path.</summary>
[SgdModel(Loss.MeanSquaredError)]
[Dense(1, 1)]
public partial class W1General { }

/// <summary>W2: linear regression, 64 -> 1, MSE.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = [1, 8, 32, 128, 256, 512, 1024, 2048])]
[Dense(64, 1)]
public partial class W2 { }

/// <summary>W2 on the general path.</summary>
[SgdModel(Loss.MeanSquaredError)]
[Dense(64, 1)]
public partial class W2General { }

/// <summary>W3: softmax regression, 784 -> 10, cross-entropy.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 8, 32, 64, 128, 256, 512, 1024, 2048])]
[Dense(784, 10)]
public partial class W3 { }

/// <summary>W3 on the general path.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy)]
[Dense(784, 10)]
public partial class W3General { }

/// <summary>W4: MLP 784 -> 128 (ReLU) -> 10, softmax cross-entropy.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 8, 32, 64, 128, 256, 512, 1024, 2048])]
[Dense(784, 128, Activation = Activation.ReLU)]
[Dense(128, 10)]
public partial class W4 { }

/// <summary>W4 on the general path.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy)]
[Dense(784, 128, Activation = Activation.ReLU)]
[Dense(128, 10)]
public partial class W4General { }

/// <summary>Breast cancer (Wisconsin), 30 features, logistic regression: the range-test-versus-grid tables.</summary>
[SgdModel(Loss.BinaryCrossEntropy, BatchSizes = [1, 8, 64])]
[Dense(30, 1)]
public partial class RangeBreastCancer { }

/// <summary>Wine, 13 features, 3 classes, softmax regression.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 8, 64])]
[Dense(13, 3)]
public partial class RangeWine { }

/// <summary>Digits, 64 pixels, 10 classes, softmax regression.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 8, 64])]
[Dense(64, 10)]
public partial class RangeDigits { }
