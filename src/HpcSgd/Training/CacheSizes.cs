using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace HpcSgd.Training;

/// <summary>
/// The running CPU's data cache sizes per core: as Linux reports them (sysfs), else as an x64 CPU describes its caches
/// (CPUID, on any operating system), else typical values of current cores. They size run-time choices such as the
/// chunks of <see cref="TrainingOptions.ChunkSize"/> and how far <see cref="TrainingOptions.GatherAhead"/> gathers.
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
        Source = LinuxCacheDirectory;
        if (read is null && ReadCpuid() is (int, int) cpuid)
        {
            read = cpuid;
            Source = "CPUID";
        }
        L1DataBytes = read?.L1 ?? TypicalL1DataBytes;
        L2Bytes = read?.L2 ?? TypicalL2Bytes;
        if (read is null)
        {
            Source = "typical values (neither the operating system nor the CPU reports cache sizes here)";
        }
    }

    /// <summary>The L1 data cache of one core, in bytes.</summary>
    public static int L1DataBytes { get; }

    /// <summary>The L2 cache of one core (shared by its hardware threads), in bytes.</summary>
    public static int L2Bytes { get; }

    /// <summary>Where the sizes came from: the sysfs folder read, "CPUID", or a sentence saying typical values are in use.</summary>
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

    /// <summary>
    /// The level-1 data and level-2 sizes an x64 CPU reports in its deterministic cache parameters: CPUID leaf 4
    /// (Intel) or 0x8000001D (AMD), one subleaf per cache; null without x64 or without those leaves.
    /// </summary>
    internal static (int L1, int L2)? ReadCpuid()
    {
        if (!X86Base.IsSupported)
        {
            return null;
        }
        (_, int vendorEbx, _, _) = X86Base.CpuId(0, 0);
        // "Auth" of AuthenticAMD / "Hygo" of HygonGenuine use the extended leaf; Intel and others leaf 4.
        bool amd = vendorEbx is 0x68747541 or 0x6F677948;
        int leaf = amd ? unchecked((int)0x8000001D) : 4;
        int highest = amd ? X86Base.CpuId(unchecked((int)0x80000000), 0).Eax : X86Base.CpuId(0, 0).Eax;
        if ((uint)highest < (uint)leaf)
        {
            return null;
        }
        var l1 = 0;
        var l2 = 0;
        for (int subleaf = 0; subleaf < 16; subleaf++)
        {
            (int eax, int ebx, int ecx, _) = X86Base.CpuId(leaf, subleaf);
            if (CacheFromCpuid(eax, ebx, ecx) is not (int level, int bytes))
            {
                break;
            }
            if (level == 1 && l1 == 0)
            {
                l1 = bytes;
            }
            else if (level == 2 && l2 == 0)
            {
                l2 = bytes;
            }
        }
        return l1 > 0 && l2 > 0 ? (l1, l2) : null;
    }

    /// <summary>
    /// One subleaf of the deterministic cache parameters: the level and size of a data or unified cache, (0, 0) for an
    /// instruction cache, null at the end of the list (type 0). Size = ways x partitions x line size x sets.
    /// </summary>
    internal static (int Level, int Bytes)? CacheFromCpuid(int eax, int ebx, int ecx)
    {
        int type = eax & 0x1F;
        if (type == 0)
        {
            return null;
        }
        if (type == 2)
        {
            return (0, 0);
        }
        int level = (eax >> 5) & 0x7;
        long bytes = (long)(((ebx >> 22) & 0x3FF) + 1) * (((ebx >> 12) & 0x3FF) + 1) * ((ebx & 0xFFF) + 1) * ((long)(uint)ecx + 1);
        return bytes is > 0 and <= int.MaxValue ? (level, (int)bytes) : (0, 0);
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
