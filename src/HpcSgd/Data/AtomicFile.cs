using System.Diagnostics;
using System.Globalization;

namespace HpcSgd.Data;

/// <summary>
/// Writes a file so that readers see the old content or the new, never a part: into a temporary file beside it
/// (<c>NAME.PID-RANDOM.tmp</c>), flushed to disk, then renamed over it. A process killed mid-write leaves its temporary
/// file behind; the next successful write of the same file removes those whose process is gone (a live writer's are
/// left alone).
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, creating its folder if needed.</summary>
    public static void Write(string path, Action<Stream> write) => Write(path, write, beforeRename: null);

    /// <summary><see cref="Write(string, Action{Stream})"/> with a hook between the flush and the rename, where tests simulate a crash.</summary>
    internal static void Write(string path, Action<Stream> write, Action<string>? beforeRename)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);
        string temporary = string.Create(CultureInfo.InvariantCulture, $"{fullPath}.{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // Writers often dispose what they write to; the file must stay open for the flush to disk.
                using (var unclosable = new KeepOpen(stream))
                {
                    write(unclosable);
                }
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
        RemoveLeftovers(fullPath);
    }

    /// <summary>Deletes <c>NAME.PID-*.tmp</c> files beside <paramref name="fullPath"/> whose writing process no longer runs.</summary>
    private static void RemoveLeftovers(string fullPath)
    {
        string folder = Path.GetDirectoryName(fullPath)!;
        string prefix = Path.GetFileName(fullPath) + ".";
        foreach (string leftover in Directory.EnumerateFiles(folder, prefix + "*.tmp"))
        {
            string middle = Path.GetFileName(leftover)[prefix.Length..^".tmp".Length];
            int dash = middle.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(middle.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || IsRunning(pid))
            {
                continue;
            }
            try
            {
                File.Delete(leftover);
            }
            catch (IOException)
            {
                // Another process may be removing it at the same moment; what matters is that it goes.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to delete; leave it.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Passes writes to a stream that its Dispose leaves open (it flushes instead).</summary>
    private sealed class KeepOpen(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        protected override void Dispose(bool disposing) => inner.Flush();
    }
}
