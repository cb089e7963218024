using System.Buffers.Binary;
using System.IO.Compression;

namespace HpcSgd.Data;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed (detected from the first bytes):
/// a 4-byte header of two zero bytes, an element type and a dimension count, then each dimension as a
/// big-endian int32, then the elements, big-endian, row-major. Every element type is read into floats.
/// A bad header, a truncated body or bytes after the last element raise <see cref="IdxFormatException"/>.
/// </summary>
public static class IdxFile
{
    /// <summary>Elements allocated up front when the stream's length is unknown (gzip); the array doubles from there.</summary>
    private const int GrowFrom = 1 << 16;

    /// <summary>Reads the IDX file at <paramref name="path"/>.</summary>
    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>Reads an IDX array from <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    public static IdxArray Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(source);
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int got = ReadUpTo(buffered, magic, source, 0);
        if (got == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
        {
            // gzip: rewind over the two bytes we consumed by wrapping them back in front of the rest.
            using var gzip = new GZipStream(new PrefixedStream(magic.ToArray(), buffered), CompressionMode.Decompress);
            return ReadIdx(new BufferedStream(gzip, 1 << 16), source + " (gzip)", ReadOnlySpan<byte>.Empty);
        }
        return ReadIdx(buffered, source, magic[..got]);
    }

    private static IdxArray ReadIdx(Stream stream, string source, ReadOnlySpan<byte> alreadyRead)
    {
        Span<byte> header = stackalloc byte[4];
        alreadyRead.CopyTo(header);
        int have = alreadyRead.Length + ReadUpTo(stream, header[alreadyRead.Length..], source, alreadyRead.Length);
        if (have < 4)
        {
            throw new IdxFormatException(source, have, $"ends after {have} bytes; an IDX header needs 4 (0, 0, type, dimension count).");
        }
        if (header[0] != 0 || header[1] != 0)
        {
            throw new IdxFormatException(source, 0, $"starts with bytes 0x{header[0]:X2} 0x{header[1]:X2}; an IDX file starts with two zero bytes.");
        }
        (int elementSize, string typeName) = header[2] switch
        {
            0x08 => (1, "unsigned byte"),
            0x09 => (1, "signed byte"),
            0x0B => (2, "int16"),
            0x0C => (4, "int32"),
            0x0D => (4, "float32"),
            0x0E => (8, "float64"),
            _ => throw new IdxFormatException(source, 2, $"has element type code 0x{header[2]:X2}; IDX knows 0x08, 0x09, 0x0B, 0x0C, 0x0D and 0x0E."),
        };
        int rank = header[3];
        if (rank == 0)
        {
            throw new IdxFormatException(source, 3, "declares 0 dimensions; an IDX array has at least one.");
        }

        var dimensions = new int[rank];
        Span<byte> four = stackalloc byte[4];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            long offset = 4 + 4L * d;
            if (ReadUpTo(stream, four, source, offset) < 4)
            {
                throw new IdxFormatException(source, offset, $"ends inside the header: dimension {d} of {rank} is missing.");
            }
            int size = BinaryPrimitives.ReadInt32BigEndian(four);
            if (size <= 0)
            {
                throw new IdxFormatException(source, offset, $"declares dimension {d} as {size}; sizes must be positive.");
            }
            dimensions[d] = size;
            count *= size;
            if (count > Array.MaxLength)
            {
                throw new IdxFormatException(source, offset, $"declares {count:N0}+ elements, more than one array can hold.");
            }
        }

        long bodyStart = 4 + 4L * rank;
        IdxFormatException Truncated(long bytes) => new(source, bodyStart + bytes,
            $"is truncated: the header declares [{string.Join(" x ", dimensions)}] {typeName} elements ({count * elementSize:N0} bytes of data) but only {bytes:N0} follow it.");
        // Memory follows the bytes actually there, not the header's claim: a seekable file is checked against its
        // length first; a compressed one grows its array as the data arrives (at most twice what was read).
        if (stream.CanSeek && stream.Length - stream.Position < count * elementSize)
        {
            throw Truncated(stream.Length - stream.Position);
        }
        var values = new float[stream.CanSeek ? count : Math.Min(count, GrowFrom)];
        var chunk = new byte[Math.Min(1 << 16, count * elementSize) / elementSize * elementSize];
        long done = 0;
        while (done < count)
        {
            int want = (int)Math.Min(chunk.Length, (count - done) * elementSize);
            int read = ReadUpTo(stream, chunk.AsSpan(0, want), source, bodyStart + done * elementSize);
            if (read < want)
            {
                throw Truncated(done * elementSize + read);
            }
            if (done + want / elementSize > values.Length)
            {
                Array.Resize(ref values, (int)Math.Min(count, Math.Max(2L * values.Length, done + want / elementSize)));
            }
            Convert(chunk.AsSpan(0, want), header[2], values.AsSpan((int)done, want / elementSize));
            done += want / elementSize;
        }
        if (stream.ReadByte() >= 0)
        {
            throw new IdxFormatException(source, bodyStart + count * elementSize,
                $"has bytes after the {count:N0} elements its header declares; it is not a single IDX array.");
        }
        return new IdxArray(dimensions, values);
    }

    private static void Convert(ReadOnlySpan<byte> bytes, byte type, Span<float> values)
    {
        switch (type)
        {
            case 0x08:
                for (int i = 0; i < values.Length; i++) values[i] = bytes[i];
                break;
            case 0x09:
                for (int i = 0; i < values.Length; i++) values[i] = (sbyte)bytes[i];
                break;
            case 0x0B:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt16BigEndian(bytes[(2 * i)..]);
                break;
            case 0x0C:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 * i)..]);
                break;
            case 0x0D:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleBigEndian(bytes[(4 * i)..]);
                break;
            default:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleBigEndian(bytes[(8 * i)..]);
                break;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; a corrupt gzip stream becomes an <see cref="IdxFormatException"/>.</summary>
    private static int ReadUpTo(Stream stream, Span<byte> buffer, string source, long offset)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(source, offset, $"is not valid gzip data near decompressed byte {offset:N0}: {e.Message}");
        }
    }

    /// <summary>A stream that yields <c>prefix</c> and then the rest of <c>inner</c>.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private int position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (position < prefix.Length && buffer.Length > 0)
            {
                int n = Math.Min(buffer.Length, prefix.Length - position);
                prefix.AsSpan(position, n).CopyTo(buffer);
                position += n;
                return n;
            }
            return inner.Read(buffer);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>An n-dimensional array read from an IDX file: its dimensions and its elements as floats, row-major.</summary>
public sealed class IdxArray
{
    internal IdxArray(int[] dimensions, float[] values)
    {
        Dimensions = dimensions;
        Values = values;
    }

    /// <summary>The sizes, outermost first (e.g. [60000, 28, 28] for Fashion-MNIST's training images).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>All elements, row-major.</summary>
    public float[] Values { get; }

    /// <summary>Elements per item of the first dimension (784 for 28 x 28 images; 1 for labels).</summary>
    public int ItemSize => Dimensions.Count == 1 ? 1 : Values.Length / Dimensions[0];
}

/// <summary>An IDX file that is not what its header declares; names the file and the byte offset.</summary>
public sealed class IdxFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="source"/> at byte <paramref name="offset"/> of its (decompressed) content.</summary>
    public IdxFormatException(string source, long offset, string reason)
        : base($"'{source}' (byte {offset:N0}) {reason}")
    {
        FilePath = source;
        Offset = offset;
    }

    /// <summary>The file (or stream name) that was read.</summary>
    public string FilePath { get; }

    /// <summary>The byte offset in the decompressed content where the problem was found.</summary>
    public long Offset { get; }
}
