using HpcSgd;

namespace HpcSgd.Benchmarks;

// Each shape twice: once with the benchmarked batch sizes declared (specialized kernels), once without
// (every batch takes the general path), so the two run side by side on identical work.

/// <summary>W1: linear regression, 1 -> 1, MSE.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = [1, 10, 64, 256])]
[Dense(1, 1)]
public partial class W1Specialized { }

/// <summary>W1 without declared batch sizes.</summary>
[SgdModel(Loss.MeanSquaredError)]
[Dense(1, 1)]
public partial class W1General { }

/// <summary>W3's shape: softmax regression, 784 -> 10.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 10, 64, 256])]
[Dense(784, 10)]
public partial class W3Specialized { }

/// <summary>W3's shape without declared batch sizes.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy)]
[Dense(784, 10)]
public partial class W3General { }
