using System.Runtime.Intrinsics;

namespace HpcSgd.Tests.Kernels;

/// <summary>
/// CI reruns the kernel tests with DOTNET_EnableAVX512=0 (.NET 10's name for the AVX-512 switch), DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0;
/// this proves each switch took effect, so those runs really exercise the narrower paths.
/// </summary>
[Trait("Category", "Widths")]
public class WidthSelectionTests
{
    [Fact]
    public void DisabledInstructionSets_AreNotAccelerated()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0")
        {
            Assert.False(Vector128.IsHardwareAccelerated);
        }
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            Assert.False(Vector256.IsHardwareAccelerated);
        }
        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            Assert.False(Vector512.IsHardwareAccelerated);
        }
    }
}
