using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace HpcSgd.Kernels;

/// <summary>
/// The handful of SIMD operations the kernels need, over one register width. Kernels are generic over
/// a struct implementing it, so the JIT compiles one fully inlined copy per width (512, 256, 128 bits
/// and a 1-lane scalar fallback) from a single body, and <see cref="Count"/> becomes a constant.
/// </summary>
/// <typeparam name="TVector">The register type: <see cref="Vector512{T}"/> of float, etc., or float.</typeparam>
public interface IVectorOps<TVector> where TVector : struct
{
    /// <summary>Lanes per register.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TVector Zero { get; }

    /// <summary>All lanes <paramref name="value"/>.</summary>
    static abstract TVector Broadcast(float value);

    /// <summary>Loads <see cref="Count"/> floats starting at <paramref name="source"/> + <paramref name="offset"/>.</summary>
    static abstract TVector Load(ref float source, nuint offset);

    /// <summary>
    /// Loads <see cref="Count"/> bytes starting at <paramref name="source"/> + <paramref name="offset"/> as the floats
    /// b * <see cref="ByteRowBatch.Scale"/>, exactly as a scalar conversion and multiply gives them.
    /// </summary>
    static abstract TVector LoadBytes(ref byte source, nuint offset);

    /// <summary>Stores <see cref="Count"/> floats starting at <paramref name="destination"/> + <paramref name="offset"/>.</summary>
    static abstract void Store(TVector value, ref float destination, nuint offset);

    /// <summary>a + b per lane.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary>a * b per lane.</summary>
    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>a * b + c per lane, fused where the hardware has FMA.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>a - b per lane.</summary>
    static abstract TVector Subtract(TVector a, TVector b);

    /// <summary>a &gt; b ? a : b per lane: b when either is NaN or both are zero (x86 <c>maxps</c>), as the scalar ReLU.</summary>
    static abstract TVector Max(TVector a, TVector b);

    /// <summary>condition &gt; 0 ? ifPositive : otherwise per lane (NaN is not positive).</summary>
    static abstract TVector SelectWherePositive(TVector condition, TVector ifPositive, TVector otherwise);

    /// <summary>The sum of all lanes.</summary>
    static abstract float Sum(TVector value);

    /// <summary>
    /// The lane sums of four registers, lane i holding <c>Sum</c> of the i-th, bit for bit: the same additions in the same
    /// order, shared across the four as a transpose (fewer shuffles than four separate sums).
    /// </summary>
    static abstract Vector128<float> Sum4(TVector a, TVector b, TVector c, TVector d);
}

/// <summary>512-bit registers (AVX-512 on x64).</summary>
public readonly struct Vector512Ops : IVectorOps<Vector512<float>>
{
    /// <inheritdoc/>
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<float>.Count;
    }
    /// <inheritdoc/>
    public static Vector512<float> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<float>.Zero;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBytes(ref byte source, nuint offset)
    {
        Vector128<byte> bytes = Vector128.LoadUnsafe(ref source, offset);
        if (Avx512F.IsSupported)
        {
            return Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(bytes)) * ByteRowBatch.Scale;
        }
        (Vector128<ushort> low, Vector128<ushort> high) = Vector128.Widen(bytes);
        Vector256<int> lower = Vector256.Create(Vector128.WidenLower(low), Vector128.WidenUpper(low)).AsInt32();
        Vector256<int> upper = Vector256.Create(Vector128.WidenLower(high), Vector128.WidenUpper(high)).AsInt32();
        return Vector512.ConvertToSingle(Vector512.Create(lower, upper)) * ByteRowBatch.Scale;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => VectorCompat.MultiplyAdd(a, b, c);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => VectorCompat.MaxNative(a, b);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SelectWherePositive(Vector512<float> condition, Vector512<float> ifPositive, Vector512<float> otherwise) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(condition, Vector512<float>.Zero), ifPositive, otherwise);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> value)
    {
        // Halves first: Vector512.Sum reduces each 128-bit quarter fully and adds the four scalars, ~3x the instructions.
        Vector256<float> half = value.GetLower() + value.GetUpper();
        return Vector128.Sum(half.GetLower() + half.GetUpper());
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        if (!Avx512F.IsSupported)
        {
            return Vector128.Create(Sum(a), Sum(b), Sum(c), Sum(d));
        }
        // Halves of a and b side by side, then quarters of all four: register q of quads holds Sum's 4-lane partial of the q-th.
        Vector512<float> ab = Avx512F.Shuffle4x128(a, b, 0b01_00_01_00) + Avx512F.Shuffle4x128(a, b, 0b11_10_11_10);
        Vector512<float> cd = Avx512F.Shuffle4x128(c, d, 0b01_00_01_00) + Avx512F.Shuffle4x128(c, d, 0b11_10_11_10);
        Vector512<float> quads = Avx512F.Shuffle4x128(ab, cd, 0b10_00_10_00) + Avx512F.Shuffle4x128(ab, cd, 0b11_01_11_01);
        Vector512<float> pairs = quads + Avx512F.Shuffle(quads, quads, 0b10_11_00_01);
        Vector512<float> sums = pairs + Avx512F.Shuffle(pairs, pairs, 0b01_00_11_10);
        return Avx512F.PermuteVar16x32(sums, Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().GetLower();
    }
}

/// <summary>256-bit registers (AVX2 on x64).</summary>
public readonly struct Vector256Ops : IVectorOps<Vector256<float>>
{
    /// <inheritdoc/>
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<float>.Count;
    }
    /// <inheritdoc/>
    public static Vector256<float> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<float>.Zero;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBytes(ref byte source, nuint offset)
    {
        Vector128<byte> bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, offset))).AsByte();
        if (Avx2.IsSupported)
        {
            return Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes)) * ByteRowBatch.Scale;
        }
        Vector128<ushort> low = Vector128.WidenLower(bytes);
        return Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(low), Vector128.WidenUpper(low)).AsInt32()) * ByteRowBatch.Scale;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => VectorCompat.MultiplyAdd(a, b, c);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => VectorCompat.MaxNative(a, b);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SelectWherePositive(Vector256<float> condition, Vector256<float> ifPositive, Vector256<float> otherwise) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(condition, Vector256<float>.Zero), ifPositive, otherwise);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value) => Vector128.Sum(value.GetLower() + value.GetUpper());
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        if (!Avx.IsSupported)
        {
            return Vector128.Create(Sum(a), Sum(b), Sum(c), Sum(d));
        }
        // Halves side by side: [a | b] and [c | d] hold Sum's 4-lane partials; the rest is Vector128Ops.Sum4 on both halves at once.
        Vector256<float> ab = Avx.Permute2x128(a, b, 0x20) + Avx.Permute2x128(a, b, 0x31);
        Vector256<float> cd = Avx.Permute2x128(c, d, 0x20) + Avx.Permute2x128(c, d, 0x31);
        Vector256<float> pairs = Avx.Shuffle(ab, cd, 0b10_00_10_00) + Avx.Shuffle(ab, cd, 0b11_01_11_01);
        Vector256<float> sums = Avx.Shuffle(pairs, pairs, 0b10_00_10_00) + Avx.Shuffle(pairs, pairs, 0b11_01_11_01);
        return Sse.UnpackLow(sums.GetLower(), sums.GetUpper());
    }
}

/// <summary>128-bit registers (SSE on x64, NEON on ARM64).</summary>
public readonly struct Vector128Ops : IVectorOps<Vector128<float>>
{
    /// <inheritdoc/>
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<float>.Count;
    }
    /// <inheritdoc/>
    public static Vector128<float> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<float>.Zero;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadBytes(ref byte source, nuint offset)
    {
        Vector128<byte> bytes = Vector128.CreateScalar(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, offset))).AsByte();
        return Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32()) * ByteRowBatch.Scale;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => VectorCompat.MultiplyAdd(a, b, c);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => VectorCompat.MaxNative(a, b);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SelectWherePositive(Vector128<float> condition, Vector128<float> ifPositive, Vector128<float> otherwise) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(condition, Vector128<float>.Zero), ifPositive, otherwise);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> value) => Vector128.Sum(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sum4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d)
    {
        if (AdvSimd.Arm64.IsSupported)
        {
            return AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(a, b), AdvSimd.Arm64.AddPairwise(c, d));
        }
        if (Sse.IsSupported)
        {
            Vector128<float> ab = Sse.Shuffle(a, b, 0b10_00_10_00) + Sse.Shuffle(a, b, 0b11_01_11_01);
            Vector128<float> cd = Sse.Shuffle(c, d, 0b10_00_10_00) + Sse.Shuffle(c, d, 0b11_01_11_01);
            return Sse.Shuffle(ab, cd, 0b10_00_10_00) + Sse.Shuffle(ab, cd, 0b11_01_11_01);
        }
        return Vector128.Create(Sum(a), Sum(b), Sum(c), Sum(d));
    }
}

/// <summary>One lane: the path when no SIMD hardware is available (e.g. DOTNET_EnableHWIntrinsic=0).</summary>
public readonly struct ScalarOps : IVectorOps<float>
{
    /// <inheritdoc/>
    public static int Count
    {
        [MethodImpl(Compilation.Inlined)]
        get => 1;
    }
    /// <inheritdoc/>
    public static float Zero
    {
        [MethodImpl(Compilation.Inlined)]
        get => 0f;
    }
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float Broadcast(float value) => value;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float Load(ref float source, nuint offset) => Unsafe.Add(ref source, offset);
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float LoadBytes(ref byte source, nuint offset) => Unsafe.Add(ref source, offset) * ByteRowBatch.Scale;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static void Store(float value, ref float destination, nuint offset) => Unsafe.Add(ref destination, offset) = value;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float Add(float a, float b) => a + b;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float Multiply(float a, float b) => a * b;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float MultiplyAdd(float a, float b, float c) => a * b + c;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float Subtract(float a, float b) => a - b;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float Max(float a, float b) => a > b ? a : b;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float SelectWherePositive(float condition, float ifPositive, float otherwise) => condition > 0f ? ifPositive : otherwise;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static float Sum(float value) => value;
    /// <inheritdoc/>
    [MethodImpl(Compilation.Inlined)]
    public static Vector128<float> Sum4(float a, float b, float c, float d) => Vector128.Create(a, b, c, d);
}
