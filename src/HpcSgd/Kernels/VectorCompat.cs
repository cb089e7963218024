using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
#if !NET9_0_OR_GREATER
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
#endif

namespace HpcSgd.Kernels;

/// <summary>
/// The two vector operations .NET 9 added that the kernels use, <c>MultiplyAddEstimate</c> and <c>MaxNative</c>; on .NET 8
/// the same instructions through the platform intrinsics (FMA or AdvSimd's fused multiply-add, x86 <c>maxps</c> or
/// AdvSimd's max), so both target frameworks compute the same results bit for bit.
/// </summary>
internal static class VectorCompat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
#if NET9_0_OR_GREATER
        Vector512.MultiplyAddEstimate(a, b, c);
#else
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : a * b + c;
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
#if NET9_0_OR_GREATER
        Vector256.MultiplyAddEstimate(a, b, c);
#else
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
#if NET9_0_OR_GREATER
        Vector128.MultiplyAddEstimate(a, b, c);
#else
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(c, a, b) : a * b + c;
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxNative(Vector512<float> a, Vector512<float> b) =>
#if NET9_0_OR_GREATER
        Vector512.MaxNative(a, b);
#else
        Avx512F.IsSupported ? Avx512F.Max(a, b) : Vector512.ConditionalSelect(Vector512.GreaterThan(a, b), a, b);
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) =>
#if NET9_0_OR_GREATER
        Vector256.MaxNative(a, b);
#else
        Avx.IsSupported ? Avx.Max(a, b) : Vector256.ConditionalSelect(Vector256.GreaterThan(a, b), a, b);
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MaxNative(Vector128<float> a, Vector128<float> b) =>
#if NET9_0_OR_GREATER
        Vector128.MaxNative(a, b);
#else
        Sse.IsSupported ? Sse.Max(a, b) : AdvSimd.IsSupported ? AdvSimd.Max(a, b) : Vector128.ConditionalSelect(Vector128.GreaterThan(a, b), a, b);
#endif
}
