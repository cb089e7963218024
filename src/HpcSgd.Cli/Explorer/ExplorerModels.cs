namespace HpcSgd.Cli.Explorer;

/// <summary>Softmax regression on 8 x 8 digit images (64 pixel counts, 10 classes).</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [4, 8, 16, 32, 64, 128])]
[Dense(64, 10)]
public partial class DigitsSoftmax { }

/// <summary>A small MLP on 8 x 8 digit images: 64 -> 32 ReLU -> 10 softmax.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [4, 8, 16, 32, 64, 128])]
[Dense(64, 32, Activation = Activation.ReLU)]
[Dense(32, 10)]
public partial class DigitsMlp { }

/// <summary>
/// The MLP of Fashion-MNIST (the benchmarks' W4): 784 pixels -> 128 ReLU -> 10 classes, declared at the batch sizes of
/// its 6 x 6 grid (--dataset fashion-mnist).
/// </summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 8, 32, 128, 512, 2048])]
[Dense(784, 128, Activation = Activation.ReLU)]
[Dense(128, 10)]
public partial class FashionMlp { }
