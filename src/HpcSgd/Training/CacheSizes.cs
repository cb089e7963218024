using System.Globalization;

namespace HpcSgd.Training;

/// <summary>
/// The running CPU's data cache sizes per core, as the operating system reports them (Linux: sysfs), else typical
/// values of current cores. They size run-time choices such as <see cref="TrainingOptions.ChunkingThresholdBytes"/>.
/// </summary>
public static class CacheSizes
{
    /// <summary>Used when the operating system does not say: the L1 data cache of current x64 and ARM cores.</summary>
    public const int TypicalL1DataBytes = 32 << 10;

    /// <summary>Used when the operating system does not say: a current server or desktop core's L2 (Zen 4: 1 MiB).</summary>
    public const int TypicalL2Bytes = 1 << 20;

    private const string LinuxCacheDirectory = "/sys/devices/system/cpu/cpu0/cache";

    static CacheSizes()
    {
        (int L1, int L2)? read = OperatingSystem.IsLinux() ? ReadLinux(LinuxCacheDirectory) : null;
        L1DataBytes = read?.L1 ?? TypicalL1DataBytes;
        L2Bytes = read?.L2 ?? TypicalL2Bytes;
        Source = read is null ? "typical values (the operating system does not report cache sizes here)" : LinuxCacheDirectory;
    }

    /// <summary>The L1 data cache of one core, in bytes.</summary>
    public static int L1DataBytes { get; }

    /// <summary>The L2 cache of one core (shared by its hardware threads), in bytes.</summary>
    public static int L2Bytes { get; }

    /// <summary>Where the sizes came from: the sysfs folder read, or a sentence saying typical values are in use.</summary>
    public static string Source { get; }

    /// <summary>
    /// Reads the level-1 data and level-2 sizes from a Linux cache folder (index*/level, type, size); null when a
    /// size is missing or unreadable.
    /// </summary>
    internal static (int L1, int L2)? ReadLinux(string directory)
    {
        int l1 = 0, l2 = 0;
        try
        {
            foreach (string index in Directory.EnumerateDirectories(directory, "index*"))
            {
                string level = File.ReadAllText(Path.Combine(index, "level")).Trim();
                string type = File.ReadAllText(Path.Combine(index, "type")).Trim();
                if (type == "Instruction" || ParseSize(File.ReadAllText(Path.Combine(index, "size"))) is not int bytes)
                {
                    continue;
                }
                if (level == "1")
                {
                    l1 = bytes;
                }
                else if (level == "2")
                {
                    l2 = bytes;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return l1 > 0 && l2 > 0 ? (l1, l2) : null;
    }

    /// <summary>A sysfs size such as "32K", "1024K", "2M" or "512" in bytes; null if it is not one.</summary>
    internal static int? ParseSize(string text)
    {
        text = text.Trim();
        int unit = text.EndsWith('K') ? 1 << 10 : text.EndsWith('M') ? 1 << 20 : 1;
        string digits = unit == 1 ? text : text[..^1];
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0 && value <= int.MaxValue / unit
            ? value * unit
            : null;
    }
}
