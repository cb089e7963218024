using System.Security.Cryptography;

namespace HpcSgd.Compiler;

/// <summary>
/// Compiled model assemblies on disk, one file per key: a magic header, the SHA-256 of the assembly, the assembly.
/// Entries appear whole or not at all (written to a temporary file, then renamed), so two processes building the same
/// entry at once both succeed; an entry whose checksum does not match is treated as missing and replaced.
/// </summary>
internal sealed class CompilationCache(string directory)
{
    private static ReadOnlySpan<byte> Magic => "HPCSGDm1"u8;

    public string Directory { get; } = directory;

    public string PathOf(string key) => Path.Combine(Directory, key + ".hpcsgd-model");

    /// <summary>The assembly stored under <paramref name="key"/>, or null when there is none or it is damaged.</summary>
    public byte[]? TryRead(string key)
    {
        byte[] entry;
        try
        {
            entry = File.ReadAllBytes(PathOf(key));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        int header = Magic.Length + SHA256.HashSizeInBytes;
        if (entry.Length <= header || !entry.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            return null;
        }
        byte[] assembly = entry[header..];
        return SHA256.HashData(assembly).AsSpan().SequenceEqual(entry.AsSpan(Magic.Length, SHA256.HashSizeInBytes)) ? assembly : null;
    }

    /// <summary>Stores <paramref name="assembly"/> under <paramref name="key"/>, replacing a damaged entry; a whole entry written meanwhile by another process is kept.</summary>
    public void Write(string key, ReadOnlySpan<byte> assembly)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = PathOf(key);
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(Magic);
                file.Write(SHA256.HashData(assembly));
                file.Write(assembly);
                file.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                if (TryRead(key) is null)
                {
                    File.Move(temporary, path, overwrite: true);
                }
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
