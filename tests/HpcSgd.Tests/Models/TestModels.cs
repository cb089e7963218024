using HpcSgd;

namespace HpcSgd.Tests.Models;

/// <summary>The classic example: y = 3x + 2 + noise, one input, one output.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = new[] { 10, 64, 256 })]
[Dense(inputs: 1, outputs: 1)]
public partial class SeedRegression { }

/// <summary>Multi-output regression with an input size that is no multiple of any vector width.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = new[] { 8, 33 })]
[Dense(37, 3)]
public partial class WideRegression { }

/// <summary>
/// Linear regression with one output (the fused single-layer path): 37 inputs leave a tail at every vector width,
/// and the batch sizes leave every remainder of its groups of four samples.
/// </summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = [4, 9, 64])]
[Dense(37, 1)]
public partial class SingleOutputRegression { }

/// <summary>Logistic regression.</summary>
[SgdModel(Loss.BinaryCrossEntropy, BatchSizes = new[] { 16, 50 })]
[Dense(19, 1)]
public partial struct LogisticModel { }

/// <summary>Multinomial logistic regression.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [32, 5])]
[Dense(23, 4)]
public partial class SoftmaxModel { }

/// <summary>
/// Softmax regression with 10 classes (as Fashion-MNIST, output-major weights): 70 inputs leave a tail at every vector
/// width; batch sizes 1, 8 and 19 (rows left over by every tile height).
/// </summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 8, 19])]
[Dense(70, 10)]
public partial class SoftmaxTenClasses { }

/// <summary>Softmax regression with 13 classes; 9 inputs are fewer than a Vector512's lanes.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [3, 16])]
[Dense(9, 13)]
public partial class SoftmaxManyClasses { }

/// <summary>A three-layer network exercising every activation's backward pass.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [12])]
[Dense(9, 17, Activation = Activation.Tanh)]
[Dense(17, 6, Activation = Activation.ReLU)]
[Dense(6, 3)]
public partial class DeepSoftmax { }

public static partial class Outer
{
    /// <summary>A model nested in a partial type.</summary>
    [SgdModel(Loss.MeanSquaredError)]
    [Dense(5, 2, Activation = Activation.Sigmoid)]
    [Dense(2, 2, Activation = Activation.LeakyReLU)]
    public partial record NestedRegression;
}

/// <summary><see cref="SoftmaxModel"/>'s shape with no declared batch size: every batch takes the general path.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy)]
[Dense(23, 4)]
public partial class SoftmaxModelGeneral { }

/// <summary><see cref="DeepSoftmax"/>'s shape with no declared batch size.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy)]
[Dense(9, 17, Activation = Activation.Tanh)]
[Dense(17, 6, Activation = Activation.ReLU)]
[Dense(6, 3)]
public partial class DeepSoftmaxGeneral { }

/// <summary>
/// Layers with 16-multiple outputs (input-major weights, broadcast-form forward) next to output-major ones, every
/// fused and unfused activation, and batch sizes 1 (matrix-vector tiles) and 300 (batch summed in two blocks).
/// </summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = [1, 6, 300])]
[Dense(37, 32, Activation = Activation.ReLU)]
[Dense(32, 48, Activation = Activation.Sigmoid)]
[Dense(48, 16, Activation = Activation.LeakyReLU)]
[Dense(16, 3, Activation = Activation.Tanh)]
public partial class TiledMlp { }

/// <summary><see cref="TiledMlp"/>'s shape with no declared batch size.</summary>
[SgdModel(Loss.MeanSquaredError)]
[Dense(37, 32, Activation = Activation.ReLU)]
[Dense(32, 48, Activation = Activation.Sigmoid)]
[Dense(48, 16, Activation = Activation.LeakyReLU)]
[Dense(16, 3, Activation = Activation.Tanh)]
public partial class TiledMlpGeneral { }

/// <summary>The W4 benchmark shape (Fashion-MNIST MLP), too large for the finite-difference check.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 64, 300])]
[Dense(784, 128, Activation = Activation.ReLU)]
[Dense(128, 10)]
public partial class FashionMlp { }

/// <summary><see cref="FashionMlp"/>'s shape with no declared batch size.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy)]
[Dense(784, 128, Activation = Activation.ReLU)]
[Dense(128, 10)]
public partial class FashionMlpGeneral { }

/// <summary>The W3 benchmark shape (Fashion-MNIST softmax regression) with no declared batch size.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy)]
[Dense(784, 10)]
public partial class FashionSoftmaxGeneral { }

/// <summary>
/// Together with the models above, every hidden activation under every loss, and every activation on the last
/// layer of a mean-squared-error model: binary cross-entropy after leaky ReLU and sigmoid hidden layers.
/// </summary>
[SgdModel(Loss.BinaryCrossEntropy, BatchSizes = [4])]
[Dense(6, 16, Activation = Activation.LeakyReLU)]
[Dense(16, 5, Activation = Activation.Sigmoid)]
[Dense(5, 1)]
public partial class BinaryMlp { }

/// <summary>Binary cross-entropy after ReLU, tanh and identity hidden layers.</summary>
[SgdModel(Loss.BinaryCrossEntropy)]
[Dense(7, 5, Activation = Activation.ReLU)]
[Dense(5, 4, Activation = Activation.Tanh)]
[Dense(4, 3)]
[Dense(3, 1)]
public partial class BinaryDeep { }

/// <summary>Softmax cross-entropy after sigmoid, leaky ReLU and identity hidden layers.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [3])]
[Dense(5, 32, Activation = Activation.Sigmoid)]
[Dense(32, 6, Activation = Activation.LeakyReLU)]
[Dense(6, 4)]
[Dense(4, 3)]
public partial class SoftmaxMixed { }

/// <summary>Mean squared error with ReLU and sigmoid on the last layer.</summary>
[SgdModel(Loss.MeanSquaredError)]
[Dense(4, 16, Activation = Activation.Tanh)]
[Dense(16, 2, Activation = Activation.ReLU)]
public partial class ReLUOutput { }

/// <summary>Mean squared error with sigmoid on the last layer, after an identity hidden layer.</summary>
[SgdModel(Loss.MeanSquaredError)]
[Dense(3, 4)]
[Dense(4, 2, Activation = Activation.Sigmoid)]
public partial class SigmoidOutput { }

/// <summary>
/// Four declared sizes that plan alike, so they share one set of kernels with the size as a type argument: their
/// leftovers after the row tiles differ (13, 29, 64, 200 leave 5, 5, 0, 0 rows after strips of 8 and 1, 5, 4, 2 after 6).
/// </summary>
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [13, 29, 64, 200])]
[Dense(37, 32, Activation = Activation.ReLU)]
[Dense(32, 48, Activation = Activation.Tanh)]
[Dense(48, 5)]
public partial class SharedBatches { }

/// <summary><see cref="SharedBatches"/>'s shape with no declared batch size.</summary>
[SgdModel(Loss.SoftmaxCrossEntropy)]
[Dense(37, 32, Activation = Activation.ReLU)]
[Dense(32, 48, Activation = Activation.Tanh)]
[Dense(48, 5)]
public partial class SharedBatchesGeneral { }
