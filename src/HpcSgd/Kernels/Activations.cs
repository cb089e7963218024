using System.Runtime.CompilerServices;

namespace HpcSgd.Kernels;

/// <summary>
/// The activations of <see cref="Activation"/> and their derivatives, the latter written in terms of
/// the activation's output a = f(z): the forward pass keeps only outputs, and every supported f has
/// f'(z) expressible through f(z).
/// </summary>
public static class Activations
{
    /// <summary>The slope of <see cref="Activation.LeakyReLU"/> for negative inputs.</summary>
    public const float LeakyReLUSlope = 0.01f;

    /// <summary>max(z, 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReLU(float z) => z > 0f ? z : 0f;

    /// <summary>z for z &gt; 0, else 0.01 z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LeakyReLU(float z) => z > 0f ? z : LeakyReLUSlope * z;

    /// <summary>tanh(z).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float z) => MathF.Tanh(z);

    /// <summary>1 / (1 + exp(-z)), computed without overflow for large |z|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float z)
    {
        if (z >= 0f)
        {
            return 1f / (1f + MathF.Exp(-z));
        }
        float e = MathF.Exp(z);
        return e / (1f + e);
    }

    /// <summary>ReLU'(z) from a = ReLU(z): 1 where a &gt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReLUDerivative(float a) => a > 0f ? 1f : 0f;

    /// <summary>LeakyReLU'(z) from a = LeakyReLU(z): 1 where a &gt; 0, else 0.01.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LeakyReLUDerivative(float a) => a > 0f ? 1f : LeakyReLUSlope;

    /// <summary>tanh'(z) = 1 - a^2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TanhDerivative(float a) => 1f - a * a;

    /// <summary>sigmoid'(z) = a (1 - a).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SigmoidDerivative(float a) => a * (1f - a);
}
