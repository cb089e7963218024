using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using HpcSgd.Data;

namespace HpcSgd.Models;

/// <summary>
/// The saved-model format, version 1, little-endian:
/// <code>
/// magic "HPCSGD\r\n" (8 bytes) | format version u32 | body length u64 | body | CRC-32 of everything before it, u32
/// body = sections, each: tag (4 ASCII bytes) | payload length u64 | payload
///   "MODL": model name (u16 length + UTF-8) | shape hash u64 | shape signature (u16 length + UTF-8)
///   "PARA": parameter count u32 | parameters as float32
///   any other tag: a section an application added (<see cref="ModelFileSection"/>), e.g. the CLI's preprocessing
/// </code>
/// Readers skip sections they do not know, so later versions can add sections (optimizer state, a training
/// cursor) without breaking older files; a reader refuses a format version newer than it knows. A file loads into a
/// model of the same shape whose type name is the same, in whatever namespace (a declaration moved or pasted into
/// another namespace still reads its files).
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

    /// <summary>As <see cref="Save(string, ModelDescription, ReadOnlySpan{float})"/>, with sections of the application's own after the model's.</summary>
    public static void Save(string path, ModelDescription description, ReadOnlySpan<float> parameters, IReadOnlyList<ModelFileSection> sections) =>
        Save(path, description, parameters, beforeRename: null, sections);

    /// <summary>
    /// The payload of the section tagged <paramref name="tag"/>, or null when the file has none; the file is checked
    /// whole (signature, version, length, checksum) but not against a model.
    /// </summary>
    /// <exception cref="ModelFileException">The file is not a model file, has an unknown version, or is damaged.</exception>
    public static byte[]? ReadSection(string path, string tag)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        uint wanted = TagOf(tag);
        byte[] file = File.ReadAllBytes(path);
        foreach ((uint t, int offset, int length) in Sections(path, file))
        {
            if (t == wanted)
            {
                return file.AsSpan(offset, length).ToArray();
            }
        }
        return null;
    }

    /// <summary><see cref="Save(string, ModelDescription, ReadOnlySpan{float})"/> with a hook between the flush and the rename, where tests simulate a crash.</summary>
    internal static void Save(string path, ModelDescription description, ReadOnlySpan<float> parameters, Action<string>? beforeRename,
        IReadOnlyList<ModelFileSection>? sections = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(description);
        if (parameters.Length != description.ParameterCount)
        {
            throw new ArgumentException($"parameters holds {parameters.Length} floats but {description.Name} has {description.ParameterCount}.", nameof(parameters));
        }

        byte[] bytes = Encode(description, parameters, sections);
        AtomicFile.Write(path, stream => stream.Write(bytes), beforeRename);
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

    internal static byte[] Encode(ModelDescription description, ReadOnlySpan<float> parameters, IReadOnlyList<ModelFileSection>? sections = null)
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
            foreach (ModelFileSection section in sections ?? [])
            {
                uint tag = TagOf(section.Tag);
                if (tag is ModelTag or ParametersTag)
                {
                    throw new ArgumentException($"section tag '{section.Tag}' is the model file's own; choose another.", nameof(sections));
                }
                writer.Write(tag);
                writer.Write((ulong)section.Payload.Length);
                writer.Write(section.Payload);
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

    /// <summary>
    /// As <see cref="Load(string, ModelDescription)"/>, reading the file once; every other section's payload lands in
    /// <paramref name="otherSections"/> by tag.
    /// </summary>
    internal static float[] Load(string path, ModelDescription expected, Dictionary<string, byte[]> otherSections)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(expected);
        return Decode(path, File.ReadAllBytes(path), expected, otherSections);
    }

    internal static float[] Decode(string path, ReadOnlySpan<byte> file, ModelDescription expected, Dictionary<string, byte[]>? otherSections = null)
    {
        string? name = null;
        float[]? parameters = null;
        foreach ((uint tag, int offset, int length) in Sections(path, file))
        {
            ReadOnlySpan<byte> payload = file.Slice(offset, length);
            if (tag == ModelTag)
            {
                name = ReadModel(path, payload, expected);
            }
            else if (tag == ParametersTag)
            {
                parameters = ReadParameters(path, payload, expected);
            }
            else if (otherSections is not null)
            {
                otherSections[TagText(tag)] = payload.ToArray();
            }
        }
        if (name is null || parameters is null)
        {
            throw new ModelFileException(path, $"lacks its {(name is null ? "model" : "parameters")} section.");
        }
        return parameters;
    }

    /// <summary>Checks the file's signature, version, length and checksum; returns each section's tag and payload position.</summary>
    private static List<(uint Tag, int Offset, int Length)> Sections(string path, ReadOnlySpan<byte> file)
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
        var sections = new List<(uint, int, int)>();
        int position = HeaderLength, end = HeaderLength + (int)bodyLength;
        while (position < end)
        {
            ReadOnlySpan<byte> rest = file[position..end];
            // A section header is 12 bytes: fewer left over is as malformed as a length past the end.
            ulong length = rest.Length < 12 ? ulong.MaxValue : BinaryPrimitives.ReadUInt64LittleEndian(rest[4..]);
            if (rest.Length < 12 || length > (ulong)(rest.Length - 12))
            {
                throw new ModelFileException(path, "is malformed: a section runs past the end of the file.");
            }
            sections.Add((BinaryPrimitives.ReadUInt32LittleEndian(rest), position + 12, (int)length));
            position += 12 + (int)length;
        }
        return sections;
    }

    private static string TagText(uint tag) =>
        string.Create(4, tag, static (letters, t) =>
        {
            for (int i = 0; i < 4; i++)
            {
                letters[i] = (char)(byte)(t >> (8 * i));
            }
        });

    /// <summary>A section tag: four ASCII letters or digits, stored as a little-endian u32.</summary>
    private static uint TagOf(string tag)
    {
        if (tag is not { Length: 4 } || !tag.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"section tag '{tag}' is not four ASCII letters or digits.", nameof(tag));
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(Encoding.ASCII.GetBytes(tag));
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
        if (name != expected.Name && SimpleName(name) != SimpleName(expected.Name))
        {
            throw new ModelFileException(path, $"holds the model '{MessageText.Show(name)}', not '{expected.Name}'.");
        }
        if (hash != expected.ShapeHash)
        {
            throw new ModelFileException(path,
                $"holds '{MessageText.Show(name)}' with a different shape ({MessageText.Show(signature)}) than this build declares ({expected.ShapeSignature}); retrain or load it with the matching declaration.");
        }
        return name;
    }

    /// <summary>"MyApp.Models.Churn" -> "Churn" (nested types: the innermost name).</summary>
    private static string SimpleName(string name) => name[(name.LastIndexOfAny(['.', '+']) + 1)..];

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

/// <summary>A section an application stores in a model file beside the model's own (tag: four ASCII letters or digits).</summary>
public sealed record ModelFileSection(string Tag, byte[] Payload);

/// <summary>A saved-model file that cannot be loaded; the message names the file and the reason.</summary>
public sealed class ModelFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public ModelFileException(string path, string reason) : base($"'{path}' {reason}") => FilePath = path;

    /// <summary>The file that was read.</summary>
    public string FilePath { get; }
}
