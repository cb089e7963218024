namespace HpcSgd.Benchmarks;

/// <summary>
/// Float buffers that start on a 64-byte boundary, as the library's own batch and parameter buffers do: a plain
/// float[] starts 16 bytes into a line, so every vector load of a kernel on it would straddle two lines and the kernel
/// would be timed slower than it runs in a session.
/// </summary>
public static class AlignedArrays
{
    /// <summary><paramref name="length"/> zeros on the pinned object heap (never moved, so the alignment lasts).</summary>
    public static ArraySegment<float> Floats(int length)
    {
        const int Alignment = 64;
        float[] array = GC.AllocateArray<float>(length + Alignment / sizeof(float), pinned: true);
        nint start = System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        int offset = (int)((Alignment - (start & (Alignment - 1))) & (Alignment - 1)) / sizeof(float);
        return new ArraySegment<float>(array, offset, length);
    }
}
