namespace HpcSgd;

/// <summary>The element-wise function applied after a dense layer's affine map.</summary>
public enum Activation
{
    /// <summary>f(z) = z.</summary>
    Identity = 0,

    /// <summary>f(z) = max(z, 0).</summary>
    ReLU = 1,

    /// <summary>f(z) = z for z &gt; 0, else 0.01 z.</summary>
    LeakyReLU = 2,

    /// <summary>f(z) = tanh(z).</summary>
    Tanh = 3,

    /// <summary>f(z) = 1 / (1 + exp(-z)).</summary>
    Sigmoid = 4,
}
