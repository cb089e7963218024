using System.Runtime.CompilerServices;

namespace HpcSgd.Kernels;

/// <summary>
/// A float buffer whose first element sits on a 64-byte boundary, a cache line and one Vector512: with row strides
/// that are whole lines (784 inputs = 49 lines), no vector load of the kernels then splits across two lines (a plain
/// float[] may start 16 bytes off; what that costs is in benchmarks/README.md).
/// </summary>
internal readonly struct AlignedFloats
{
    private const int Alignment = 64;
    private readonly float[] array;
    private readonly int offset;

    /// <summary>Allocates <paramref name="length"/> zeros on the pinned object heap, where the GC never moves them, so the alignment lasts.</summary>
    public unsafe AlignedFloats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        if (length == 0)
        {
            array = [];
            return;
        }
        array = GC.AllocateArray<float>(length + Alignment / sizeof(float) - 1, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref array[0]);
        offset = (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1)) / sizeof(float);
    }

    public int Length { get; }

    public Span<float> Span => array is null ? default : array.AsSpan(offset, Length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Slice(int start, int length) => Span.Slice(start, length);

    public static implicit operator Span<float>(AlignedFloats buffer) => buffer.Span;

    public static implicit operator ReadOnlySpan<float>(AlignedFloats buffer) => buffer.Span;
}
