namespace HpcSgd;

/// <summary>
/// Declares a model trained by mini-batch SGD. Put it on a non-generic <c>partial</c> class or struct
/// together with one <see cref="DenseAttribute"/> per layer, in order from input to output. The HpcSgd
/// source generator then emits kernels specialized to the layer shapes and to each of
/// <see cref="BatchSizes"/>, plus a general path for any other batch size.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class SgdModelAttribute : Attribute
{
    /// <summary>Declares the model's loss.</summary>
    public SgdModelAttribute(Loss loss) => Loss = loss;

    /// <summary>The loss after the last layer.</summary>
    public Loss Loss { get; }

    /// <summary>Batch sizes that get kernels with compile-time trip counts; each must be positive and unique.</summary>
    public int[] BatchSizes { get; set; } = [];
}
