using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using HpcSgd.Models;

namespace HpcSgd.Data;

public sealed partial class Dataset<TModel>
{
    /// <summary>The scale of <see cref="ByteRows"/>: a feature is its byte times this, as 8-bit images are read (<see cref="FashionMnist"/>).</summary>
    internal const float ByteScale = HpcSgd.Kernels.ByteRowBatch.Scale;

    /// <summary>Rows narrower than this are not worth a byte copy: they move less than a cache line as floats.</summary>
    internal const int ByteRowMinimumWidth = 16;

    private static readonly byte[] NotBytes = [];

    private byte[]? byteRows;

    /// <summary>
    /// The features as bytes, Count x InputCount, when every feature is exactly (float)b * <see cref="ByteScale"/> for a
    /// byte b (8-bit images scaled to [0, 1]), else null. A shuffled batch of wide rows then reads a quarter of the
    /// bytes from memory and widens them to the same floats, bit for bit. Built on first use (wide rows only), once even
    /// when several sessions share the data set; it costs a quarter of the features' memory. <see cref="Replace"/> keeps
    /// it in step, and drops it for good when a new sample is not such bytes.
    /// </summary>
    internal byte[]? ByteRows
    {
        get
        {
            byte[]? rows = Volatile.Read(ref byteRows);
            if (rows is null)
            {
                byte[] built = TModel.Description.InputCount >= ByteRowMinimumWidth && !HasNarrowRows ? ToBytes(features) ?? NotBytes : NotBytes;
                rows = Interlocked.CompareExchange(ref byteRows, built, null) ?? built;
            }
            return rows.Length == 0 ? null : rows;
        }
    }

    /// <summary>Keeps <see cref="ByteRows"/>, if built, in step with a replaced sample (called by <see cref="Replace"/>).</summary>
    private void ReplaceByteRow(int index, ReadOnlySpan<float> features)
    {
        byte[]? rows = Volatile.Read(ref byteRows);
        if (rows is null || rows.Length == 0)
        {
            return;
        }
        int width = TModel.Description.InputCount;
        if (!TryToBytes(features, rows.AsSpan(index * width, width)))
        {
            Volatile.Write(ref byteRows, NotBytes);
        }
    }

    /// <summary>The bytes b with (float)b * <see cref="ByteScale"/> == each value bit for bit, or null if some value is not one.</summary>
    internal static byte[]? ToBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length];
        return TryToBytes(values, bytes) ? bytes : null;
    }

    private static bool TryToBytes(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        ref float from = ref MemoryMarshal.GetReference(values);
        ref byte to = ref MemoryMarshal.GetReference(bytes);
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 16 <= values.Length; i += 16)
            {
                if (!TryBytes(Vector128.LoadUnsafe(ref from, (nuint)i), out Vector128<int> b0)
                    || !TryBytes(Vector128.LoadUnsafe(ref from, (nuint)i + 4), out Vector128<int> b1)
                    || !TryBytes(Vector128.LoadUnsafe(ref from, (nuint)i + 8), out Vector128<int> b2)
                    || !TryBytes(Vector128.LoadUnsafe(ref from, (nuint)i + 12), out Vector128<int> b3))
                {
                    return false;
                }
                Vector128.Narrow(Vector128.Narrow(b0, b1).AsUInt16(), Vector128.Narrow(b2, b3).AsUInt16()).StoreUnsafe(ref to, (nuint)i);
            }
        }
        for (; i < values.Length; i++)
        {
            float value = Unsafe.Add(ref from, i);
            float scaled = MathF.Round(value * 255f);
            if (!(scaled >= 0f && scaled <= 255f) || BitConverter.SingleToInt32Bits((int)scaled * ByteScale) != BitConverter.SingleToInt32Bits(value))
            {
                return false;
            }
            Unsafe.Add(ref to, i) = (byte)scaled;
        }
        return true;
    }

    /// <summary>Four values as the ints 0..255 they are bytes of, or false (compared bit for bit: -0 is not the byte 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryBytes(Vector128<float> values, out Vector128<int> bytes)
    {
        // The nearest int is only a candidate (truncating x + 0.5 rounds the non-negative ones): the range test and the
        // comparison decide.
        bytes = Vector128.ConvertToInt32(values * 255f + Vector128.Create(0.5f));
        Vector128<float> back = Vector128.ConvertToSingle(bytes) * ByteScale;
        return Vector128.LessThanOrEqualAll(bytes.AsUInt32(), Vector128.Create(255u)) && Vector128.EqualsAll(back.AsInt32(), values.AsInt32());
    }
}
