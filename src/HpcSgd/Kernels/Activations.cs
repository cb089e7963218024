using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

    /// <summary>delta * f'(z) per lane, given a = f(z): the backward pass through the activation.</summary>
    static abstract TVec BackPropagate<TOps, TVec>(TVec a, TVec delta) where TOps : struct, IVectorOps<TVec> where TVec : struct;

    /// <summary>values[i] = f(values[i]) for i &lt; count, as one pass after a matrix kernel (for activations not fused into it).</summary>
    static abstract void ApplyInPlace(ref float values, int count);
}

/// <summary>An activation cheap enough per lane to be fused into a matrix kernel's store.</summary>
public interface IFusedActivation : IActivation
{
    /// <summary>f(z) per lane, bit for bit equal to <see cref="IActivation.Apply"/>.</summary>
    static abstract TVec Apply<TOps, TVec>(TVec z) where TOps : struct, IVectorOps<TVec> where TVec : struct;
}

/// <summary>f(z) = z.</summary>
public readonly struct IdentityActivation : IFusedActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z) => z;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => 1f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Apply<TOps, TVec>(TVec z) where TOps : struct, IVectorOps<TVec> where TVec : struct => z;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec BackPropagate<TOps, TVec>(TVec a, TVec delta) where TOps : struct, IVectorOps<TVec> where TVec : struct => delta;

    /// <inheritdoc/>
    public static void ApplyInPlace(ref float values, int count)
    {
    }
}

/// <summary>f(z) = max(z, 0); f' = 1 where a &gt; 0, else 0. NaN maps to 0, as x86 <c>maxps</c> does.</summary>
public readonly struct ReLUActivation : IFusedActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z) => z > 0f ? z : 0f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => a > 0f ? 1f : 0f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Apply<TOps, TVec>(TVec z) where TOps : struct, IVectorOps<TVec> where TVec : struct => TOps.Max(z, TOps.Zero);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec BackPropagate<TOps, TVec>(TVec a, TVec delta) where TOps : struct, IVectorOps<TVec> where TVec : struct =>
        TOps.SelectWherePositive(a, delta, TOps.Zero);

    /// <inheritdoc/>
    public static void ApplyInPlace(ref float values, int count)
    {
        for (nuint i = 0; i < (nuint)count; i++)
        {
            Unsafe.Add(ref values, i) = Apply(Unsafe.Add(ref values, i));
        }
    }
}

/// <summary>f(z) = z for z &gt; 0, else <see cref="Slope"/> z; f' = 1 where a &gt; 0, else <see cref="Slope"/>.</summary>
public readonly struct LeakyReLUActivation : IFusedActivation
{
    /// <summary>The slope for negative inputs.</summary>
    public const float Slope = 0.01f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z) => z > 0f ? z : Slope * z;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => a > 0f ? 1f : Slope;

    /// <inheritdoc/>
    /// <remarks>max(z, Slope z) picks z for z &gt; 0 and Slope z otherwise (also for -0 and NaN, the second operand).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Apply<TOps, TVec>(TVec z) where TOps : struct, IVectorOps<TVec> where TVec : struct =>
        TOps.Max(z, TOps.Multiply(z, TOps.Broadcast(Slope)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec BackPropagate<TOps, TVec>(TVec a, TVec delta) where TOps : struct, IVectorOps<TVec> where TVec : struct =>
        TOps.SelectWherePositive(a, delta, TOps.Multiply(delta, TOps.Broadcast(Slope)));

    /// <inheritdoc/>
    public static void ApplyInPlace(ref float values, int count)
    {
        for (nuint i = 0; i < (nuint)count; i++)
        {
            Unsafe.Add(ref values, i) = Apply(Unsafe.Add(ref values, i));
        }
    }
}

/// <summary>f(z) = tanh(z); f' = 1 - a^2. Applied after the matrix kernel by <see cref="TensorPrimitives.Tanh{T}"/>.</summary>
public readonly struct TanhActivation : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float z) => MathF.Tanh(z);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float a) => 1f - a * a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec BackPropagate<TOps, TVec>(TVec a, TVec delta) where TOps : struct, IVectorOps<TVec> where TVec : struct =>
        TOps.Multiply(delta, TOps.Subtract(TOps.Broadcast(1f), TOps.Multiply(a, a)));

    /// <inheritdoc/>
    public static void ApplyInPlace(ref float values, int count)
    {
        Span<float> span = MemoryMarshal.CreateSpan(ref values, count);
        TensorPrimitives.Tanh(span, span);
    }
}

/// <summary>f(z) = 1 / (1 + exp(-z)), without overflow for large |z|; f' = a (1 - a). Applied after the matrix kernel by <see cref="TensorPrimitives.Sigmoid{T}"/>.</summary>
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

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec BackPropagate<TOps, TVec>(TVec a, TVec delta) where TOps : struct, IVectorOps<TVec> where TVec : struct =>
        TOps.Multiply(delta, TOps.Multiply(a, TOps.Subtract(TOps.Broadcast(1f), a)));

    /// <inheritdoc/>
    public static void ApplyInPlace(ref float values, int count)
    {
        Span<float> span = MemoryMarshal.CreateSpan(ref values, count);
        TensorPrimitives.Sigmoid(span, span);
    }
}
