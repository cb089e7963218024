using System.Runtime.CompilerServices;

namespace HpcSgd.Kernels;

/// <summary>
/// An activation of <see cref="Activation"/> as an operator struct, so kernels generic over it compile to
/// straight-line code. The derivative is written in terms of the output a = f(z): the forward pass keeps
/// only outputs, and every supported f has f'(z) expressible through f(z).
/// </summary>
public interface IActivation
{
    /// <summary>f(z).</summary>
    static abstract float Apply(float z);

    /// <summary>f'(z), given a = f(z).</summary>
    static abstract float Derivative(float a);
}

/// <summary>f(z) = z.</summary>
public readonly struct IdentityActivation : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z) => z;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => 1f;
}

/// <summary>f(z) = max(z, 0); f' = 1 where a &gt; 0, else 0.</summary>
public readonly struct ReLUActivation : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z) => z > 0f ? z : 0f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => a > 0f ? 1f : 0f;
}

/// <summary>f(z) = z for z &gt; 0, else <see cref="Slope"/> z; f' = 1 where a &gt; 0, else <see cref="Slope"/>.</summary>
public readonly struct LeakyReLUActivation : IActivation
{
    /// <summary>The slope for negative inputs.</summary>
    public const float Slope = 0.01f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z) => z > 0f ? z : Slope * z;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => a > 0f ? 1f : Slope;
}

/// <summary>f(z) = tanh(z); f' = 1 - a^2.</summary>
public readonly struct TanhActivation : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z) => MathF.Tanh(z);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => 1f - a * a;
}

/// <summary>f(z) = 1 / (1 + exp(-z)), without overflow for large |z|; f' = a (1 - a).</summary>
public readonly struct SigmoidActivation : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z)
    {
        if (z >= 0f)
        {
            return 1f / (1f + MathF.Exp(-z));
        }
        float e = MathF.Exp(z);
        return e / (1f + e);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => a * (1f - a);
}
