namespace HpcSgd;

/// <summary>
/// One fully connected layer with a bias: y = f(W x + b), W of shape outputs x inputs.
/// Repeat the attribute for a stack of layers; they apply in source order, and each layer's
/// <c>inputs</c> must equal the previous layer's <c>outputs</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares a layer mapping <paramref name="inputs"/> values to <paramref name="outputs"/> values.</summary>
    public DenseAttribute(int inputs, int outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Number of input values per sample.</summary>
    public int Inputs { get; }

    /// <summary>Number of output values per sample.</summary>
    public int Outputs { get; }

    /// <summary>
    /// The activation after the affine map. The last layer keeps <see cref="Activation.Identity"/> for
    /// the cross-entropy losses, which fold their sigmoid or softmax in.
    /// </summary>
    public Activation Activation { get; set; } = Activation.Identity;
}
