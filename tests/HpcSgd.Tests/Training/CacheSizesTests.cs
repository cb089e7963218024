using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>Cache sizes come from the operating system where it reports them, and size the chunking threshold.</summary>
public class CacheSizesTests
{
    [Theory]
    [InlineData("32K", 32 << 10)]
    [InlineData("1024K\n", 1 << 20)]
    [InlineData("2M", 2 << 20)]
    [InlineData("512", 512)]
    public void ParseSize_ReadsSysfsSizes(string text, int bytes) => Assert.Equal(bytes, CacheSizes.ParseSize(text));

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("-4K")]
    [InlineData("0K")]
    [InlineData("4G")]
    [InlineData("9999999M")]
    public void ParseSize_RefusesWhatIsNotASize(string text) => Assert.Null(CacheSizes.ParseSize(text));

    [Fact]
    public void ReadLinux_TakesTheDataAndUnifiedCaches_NotTheInstructionCache()
    {
        string folder = Directory.CreateTempSubdirectory("hpcsgd-cache").FullName;
        try
        {
            Index(folder, 0, "1", "Data", "48K");
            Index(folder, 1, "1", "Instruction", "32K");
            Index(folder, 2, "2", "Unified", "2048K");
            Index(folder, 3, "3", "Unified", "32768K");
            Assert.Equal((48 << 10, 2 << 20), CacheSizes.ReadLinux(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ReadLinux_IsNull_WhenALevelIsMissingOrTheFolderIsAbsent()
    {
        string folder = Directory.CreateTempSubdirectory("hpcsgd-cache").FullName;
        try
        {
            Index(folder, 0, "1", "Data", "32K");
            Assert.Null(CacheSizes.ReadLinux(folder));
            Assert.Null(CacheSizes.ReadLinux(Path.Combine(folder, "absent")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void OnLinux_TheSizesAreTheKernels()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/sys/devices/system/cpu/cpu0/cache/index2/size"))
        {
            return;
        }
        Assert.Equal("/sys/devices/system/cpu/cpu0/cache", CacheSizes.Source);
        Assert.Equal(CacheSizes.ParseSize(File.ReadAllText("/sys/devices/system/cpu/cpu0/cache/index2/size")), CacheSizes.L2Bytes);
    }

    [Fact]
    public void CacheFromCpuid_DecodesTheDeterministicCacheParameters()
    {
        // A 48 KiB L1 data cache: type 1, level 1; 12 ways, 1 partition, 64-byte lines, 64 sets.
        Assert.Equal((1, 48 << 10), CacheSizes.CacheFromCpuid(1 | (1 << 5), (11 << 22) | (0 << 12) | 63, 63));
        // A 1 MiB unified L2: type 3, level 2; 8 ways, 64-byte lines, 2048 sets.
        Assert.Equal((2, 1 << 20), CacheSizes.CacheFromCpuid(3 | (2 << 5), (7 << 22) | 63, 2047));
        Assert.Equal((0, 0), CacheSizes.CacheFromCpuid(2 | (1 << 5), (7 << 22) | 63, 63));
        Assert.Null(CacheSizes.CacheFromCpuid(0, 0, 0));
    }

    [Fact]
    public void OnX64Linux_CpuidAgreesWithTheKernel()
    {
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported || !OperatingSystem.IsLinux()
            || CacheSizes.ReadLinux("/sys/devices/system/cpu/cpu0/cache") is not (int, int) kernel)
        {
            return;
        }
        Assert.Equal(kernel, CacheSizes.ReadCpuid());
    }

    private static void Index(string folder, int index, string level, string type, string size)
    {
        string path = Directory.CreateDirectory(Path.Combine(folder, $"index{index}")).FullName;
        File.WriteAllText(Path.Combine(path, "level"), level + "\n");
        File.WriteAllText(Path.Combine(path, "type"), type + "\n");
        File.WriteAllText(Path.Combine(path, "size"), size + "\n");
    }
}
