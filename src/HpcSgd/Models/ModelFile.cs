using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace HpcSgd.Models;

/// <summary>
/// The saved-model format, version 1, little-endian:
/// <code>
/// magic "HPCSGD\r\n" (8 bytes) | format version u32 | body length u64 | body | CRC-32 of everything before it, u32
/// body = sections, each: tag (4 ASCII bytes) | payload length u64 | payload
///   "MODL": model name (u16 length + UTF-8) | shape hash u64 | shape signature (u16 length + UTF-8)
///   "PARA": parameter count u32 | parameters as float32
/// </code>
/// Readers skip sections they do not know, so later versions can add sections (optimizer state, a training
/// cursor) without breaking older files; a reader refuses a format version newer than it knows.
/// Saving writes a temporary file beside the target, flushes it to disk and renames it over the target,
/// so a crash leaves either the old file or the new one, never a torn file.
/// </summary>
public static class ModelFile
{
    /// <summary>The format version this library writes and the newest it reads.</summary>
    public const uint FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "HPCSGD\r\n"u8;
    private const int HeaderLength = 8 + 4 + 8;
    private const uint ModelTag = 0x4C444F4D; // "MODL"
    private const uint ParametersTag = 0x41524150; // "PARA"

    /// <summary>Writes <paramref name="parameters"/> of the model <paramref name="description"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, ModelDescription description, ReadOnlySpan<float> parameters) =>
        Save(path, description, parameters, beforeRename: null);

    /// <summary><see cref="Save(string, ModelDescription, ReadOnlySpan{float})"/> with a hook between the flush and the rename, where tests simulate a crash.</summary>
    internal static void Save(string path, ModelDescription description, ReadOnlySpan<float> parameters, Action<string>? beforeRename)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(description);
        if (parameters.Length != description.ParameterCount)
        {
            throw new ArgumentException($"parameters holds {parameters.Length} floats but {description.Name} has {description.ParameterCount}.", nameof(parameters));
        }

        byte[] bytes = Encode(description, parameters);
        string fullPath = Path.GetFullPath(path);
        string temporary = fullPath + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            beforeRename?.Invoke(temporary);
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Reads the parameters saved for the model <paramref name="expected"/> from <paramref name="path"/>.</summary>
    /// <exception cref="ModelFileException">The file is not a model file, is another model's, has an unknown version, or is damaged.</exception>
    public static float[] Load(string path, ModelDescription expected)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(expected);
        byte[] bytes = File.ReadAllBytes(path);
        return Decode(path, bytes, expected);
    }

    internal static byte[] Encode(ModelDescription description, ReadOnlySpan<float> parameters)
    {
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            byte[] name = Encoding.UTF8.GetBytes(description.Name);
            byte[] signature = Encoding.UTF8.GetBytes(description.ShapeSignature);
            writer.Write(ModelTag);
            writer.Write((ulong)(2 + name.Length + 8 + 2 + signature.Length));
            writer.Write(checked((ushort)name.Length));
            writer.Write(name);
            writer.Write(description.ShapeHash);
            writer.Write(checked((ushort)signature.Length));
            writer.Write(signature);

            writer.Write(ParametersTag);
            writer.Write((ulong)(4 + parameters.Length * sizeof(float)));
            writer.Write((uint)parameters.Length);
            foreach (float value in parameters)
            {
                writer.Write(value);
            }
        }

        var file = new byte[HeaderLength + body.Length + 4];
        Magic.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(12), (ulong)body.Length);
        body.GetBuffer().AsSpan(0, (int)body.Length).CopyTo(file.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(file.Length - 4), Crc32.HashToUInt32(file.AsSpan(0, file.Length - 4)));
        return file;
    }

    internal static float[] Decode(string path, ReadOnlySpan<byte> file, ModelDescription expected)
    {
        if (file.Length < Magic.Length || !file[..Magic.Length].SequenceEqual(Magic))
        {
            throw new ModelFileException(path, "is not an HpcSgd model file (its first bytes are not the HpcSgd signature).");
        }
        if (file.Length < HeaderLength)
        {
            throw new ModelFileException(path, $"is truncated: {file.Length} bytes, shorter than the {HeaderLength}-byte header.");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
        if (version == 0 || version > FormatVersion)
        {
            throw new ModelFileException(path, $"has format version {version}, but this HpcSgd reads versions 1 to {FormatVersion}; update HpcSgd to load it.");
        }
        ulong bodyLength = BinaryPrimitives.ReadUInt64LittleEndian(file[12..]);
        ulong expectedLength = HeaderLength + bodyLength + 4;
        if (bodyLength > int.MaxValue || (ulong)file.Length != expectedLength)
        {
            throw new ModelFileException(path, (ulong)file.Length < expectedLength
                ? $"is truncated: {file.Length} bytes where its header promises {expectedLength}."
                : $"has {file.Length} bytes where its header promises {expectedLength}; it is corrupted.");
        }
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(file[^4..]);
        if (Crc32.HashToUInt32(file[..^4]) != stored)
        {
            throw new ModelFileException(path, "is corrupted: its checksum does not match its contents.");
        }

        ReadOnlySpan<byte> body = file.Slice(HeaderLength, (int)bodyLength);
        string? name = null;
        float[]? parameters = null;
        while (!body.IsEmpty)
        {
            ulong length = body.Length < 12 ? ulong.MaxValue : BinaryPrimitives.ReadUInt64LittleEndian(body[4..]);
            if (length > (ulong)(body.Length - 12))
            {
                throw new ModelFileException(path, "is malformed: a section runs past the end of the file.");
            }
            uint tag = BinaryPrimitives.ReadUInt32LittleEndian(body);
            ReadOnlySpan<byte> payload = body.Slice(12, (int)length);
            body = body[(12 + (int)length)..];
            if (tag == ModelTag)
            {
                name = ReadModel(path, payload, expected);
            }
            else if (tag == ParametersTag)
            {
                parameters = ReadParameters(path, payload, expected);
            }
        }
        if (name is null || parameters is null)
        {
            throw new ModelFileException(path, $"lacks its {(name is null ? "model" : "parameters")} section.");
        }
        return parameters;
    }

    private static string ReadModel(string path, ReadOnlySpan<byte> payload, ModelDescription expected)
    {
        if (payload.Length < 12 || payload.Length < 12 + BinaryPrimitives.ReadUInt16LittleEndian(payload))
        {
            throw new ModelFileException(path, "is malformed: its model section is too short.");
        }
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        string name = Encoding.UTF8.GetString(payload.Slice(2, nameLength));
        ulong hash = BinaryPrimitives.ReadUInt64LittleEndian(payload[(2 + nameLength)..]);
        int signatureLength = BinaryPrimitives.ReadUInt16LittleEndian(payload[(10 + nameLength)..]);
        if (payload.Length < 12 + nameLength + signatureLength)
        {
            throw new ModelFileException(path, "is malformed: its model section is too short.");
        }
        string signature = Encoding.UTF8.GetString(payload.Slice(12 + nameLength, signatureLength));
        if (name != expected.Name)
        {
            throw new ModelFileException(path, $"holds the model '{name}', not '{expected.Name}'.");
        }
        if (hash != expected.ShapeHash)
        {
            throw new ModelFileException(path,
                $"holds '{name}' with a different shape ({signature}) than this build declares ({expected.ShapeSignature}); retrain or load it with the matching declaration.");
        }
        return name;
    }

    private static float[] ReadParameters(string path, ReadOnlySpan<byte> payload, ModelDescription expected)
    {
        uint count = payload.Length < 4 ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (count != expected.ParameterCount || payload.Length != 4 + (long)count * sizeof(float))
        {
            throw new ModelFileException(path, $"holds {count} parameters where '{expected.Name}' has {expected.ParameterCount}.");
        }
        var parameters = new float[count];
        payload[4..].CopyTo(MemoryMarshal.AsBytes(parameters.AsSpan()));
        if (!BitConverter.IsLittleEndian)
        {
            Span<uint> words = MemoryMarshal.Cast<float, uint>(parameters.AsSpan());
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        return parameters;
    }
}

/// <summary>A saved-model file that cannot be loaded; the message names the file and the reason.</summary>
public sealed class ModelFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public ModelFileException(string path, string reason) : base($"'{path}' {reason}") => FilePath = path;

    /// <summary>The file that was read.</summary>
    public string FilePath { get; }
}
