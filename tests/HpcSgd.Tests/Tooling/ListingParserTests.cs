using HpcSgd.Benchmarks;

namespace HpcSgd.Tests.Tooling;

/// <summary>
/// The reader behind `HpcSgd.Benchmarks tiles --check`, which CI runs to keep the generated kernels' inner loops free of
/// vector spills: listings shaped like the JIT's (labels, a loop entered at its test, nested loops) with known counts.
/// </summary>
public class ListingParserTests
{
    // A 2 x 1 tile: the outer loop over row strips holds the depth loop, which is entered at its test (IG04) as the
    // JIT lays out rotated loops; the epilogue stores, reloads a spilled pointer, and jumps back to the outer loop.
    private const string CleanTile = """
        ; Assembly listing for method HpcSgd.Benchmarks.Workloads.W4:Dense0_Forward_784x128_B32_64_Avx2[HpcSgd.Kernels.Vector256Ops,System.Runtime.Intrinsics.Vector256`1[float],HpcSgd.Benchmarks.Workloads.W4+Batch64](byref,byref,byref,byref) (FullOpts)
        G_M000_IG01:                ;; offset=0x0000
               push     rbp
               lea      rbp, [rsp+0x20]
        G_M000_IG02:                ;; offset=0x0010
               vxorps   ymm0, ymm0, ymm0
               vxorps   ymm1, ymm1, ymm1
               jmp      SHORT G_M000_IG04
        G_M000_IG03:                ;; offset=0x0020
               vbroadcastss ymm2, dword ptr [rsi]
               vbroadcastss ymm3, dword ptr [rsi+0x0C40]
               vmovups  ymm4, ymmword ptr [rdx]
               vfmadd231ps ymm0, ymm4, ymm2
               vfmadd231ps ymm1, ymm4, ymm3
               lea      rsi, [rsi+0x04]
               add      rdx, 512
               inc      rax
        G_M000_IG04:                ;; offset=0x0040
               cmp      rax, 784
               jb       SHORT G_M000_IG03
        G_M000_IG05:                ;; offset=0x0050
               vmovups  ymmword ptr [rcx], ymm0
               vmovups  ymmword ptr [rcx+0x200], ymm1
               mov      rdi, qword ptr [rbp-0x30]
               add      r8, 2
               cmp      r8, 64
               jb       G_M000_IG02
        G_M000_IG06:                ;; offset=0x0070
               pop      rbp
               ret
        """;

    // Accumulators moved to the stack and back inside the depth loop: what a tile that needs more registers than exist
    // compiles to. The next method's header ends this one.
    private const string SpillingTile = """
        ; Assembly listing for method HpcSgd.Benchmarks.Workloads.W4:Dense0_Forward_784x128_B64_Avx2[HpcSgd.Kernels.Vector256Ops,System.Runtime.Intrinsics.Vector256`1[float]](byref,byref,byref,byref) (FullOpts)
        G_M000_IG01:                ;; offset=0x0000
               xor      eax, eax
        G_M000_IG02:                ;; offset=0x0010
               vbroadcastss ymm14, dword ptr [rsi]
               vmovups  ymmword ptr [rbp-0x530], ymm14
               vfmadd231ps ymm0, ymm15, ymmword ptr [rdx]
               vmovups  ymm14, ymmword ptr [rbp-0x530]
               vfmadd231ps ymm1, ymm14, ymm15
               mov      qword ptr [rsp+0x08], rax
               inc      rax
               cmp      rax, 784
               jb       SHORT G_M000_IG02
        G_M000_IG03:                ;; offset=0x0040
               ret
        """;

    // The same 2 x 1 tile as ARM64 compiles it (under qemu in CI): broadcasts are a scalar load and a dup (whose lane
    // index is no memory operand), the FMAs are fmla, and a vector register (d8) saved in the frame is reloaded inside.
    private const string Arm64Tile = """
        ; Assembly listing for method HpcSgd.Tests.Models.FashionMlp:Dense0_Forward_784x128_B64_Avx512[HpcSgd.Kernels.Vector128Ops,System.Runtime.Intrinsics.Vector128`1[float]](byref,byref,byref,byref) (FullOpts)
        G_M000_IG01:                ;; offset=0x0000
                    stp     fp, lr, [sp, #-0x20]!
                    str     d8, [sp, #0x18]
        G_M000_IG02:                ;; offset=0x000C
                    ldr     s7, [x10]
                    dup     v7.4s, v7.s[0]
                    ldr     s6, [x10, #0xC40]
                    dup     v6.4s, v6.s[0]
                    ldr     q8, [x11]
                    fmla    v16.4s, v8.4s, v7.4s
                    fmla    v18.4s, v8.4s, v6.4s
                    ldr     d8, [sp, #0x18]
                    add     x10, x10, #4
                    cmp     x13, x2
                    b.lo    G_M000_IG02
        G_M000_IG03:                ;; offset=0x0040
                    str     q16, [x3]
                    ldr     d8, [sp, #0x18]
                    ldp     fp, lr, [sp], #0x20
                    ret     lr
        """;

    [Fact]
    public void Arm64Loop_CountsFmlaLoadsAndTheVectorReloadFromTheFrame()
    {
        ListingParser.MethodLoops method = Assert.Single(ListingParser.Parse(Arm64Tile));

        Assert.Equal("FashionMlp.Dense0_Forward_784x128_B64_Avx512[Vector128Ops]", method.Name);
        ListingParser.LoopCounts loop = Assert.Single(method.InnerLoops);
        Assert.Equal(11, loop.Instructions);
        Assert.Equal(2, loop.Fmas);
        Assert.Equal(4, loop.Reads);
        Assert.Equal(0, loop.Stores);
        Assert.Equal(1, loop.VectorStack);
        Assert.Equal(0, loop.GeneralStack);
    }

    [Fact]
    public void InnermostLoop_IsTheDepthLoop_WithItsCounts()
    {
        ListingParser.MethodLoops method = Assert.Single(ListingParser.Parse(CleanTile));

        Assert.Equal("W4.Dense0_Forward_784x128_B32_64_Avx2[Vector256Ops, Batch64]", method.Name);
        ListingParser.LoopCounts loop = Assert.Single(method.InnerLoops);
        Assert.Equal(10, loop.Instructions);
        Assert.Equal(2, loop.Fmas);
        Assert.Equal(3, loop.Reads);
        Assert.Equal(0, loop.Stores);
        Assert.Equal(0, loop.VectorStack);
        Assert.Equal(0, loop.GeneralStack);
    }

    [Fact]
    public void SpilledRegisters_AreCountedAsStackAccesses_VectorAndGeneralApart()
    {
        IReadOnlyList<ListingParser.MethodLoops> methods = ListingParser.Parse(CleanTile + "\n" + SpillingTile);

        Assert.Equal(2, methods.Count);
        Assert.Equal("W4.Dense0_Forward_784x128_B64_Avx2[Vector256Ops]", methods[1].Name);
        ListingParser.LoopCounts loop = Assert.Single(methods[1].InnerLoops);
        Assert.Equal(2, loop.Fmas);
        Assert.Equal(2, loop.VectorStack);
        Assert.Equal(1, loop.GeneralStack);
        Assert.Equal(2, loop.Stores);
        // A memory operand of an FMA is a read; the broadcast and the reload are reads too.
        Assert.Equal(3, loop.Reads);
        Assert.Contains("vmovups  ymmword ptr [rbp-0x530], ymm14", loop.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void LoopsInTheEpilogue_OrBeforeAnyLabel_AreNotInnermostFmaLoops()
    {
        ListingParser.MethodLoops method = Assert.Single(ListingParser.Parse(CleanTile));

        // The outer loop (IG02 .. the jump at the end of IG05) holds the depth loop, so only the depth loop is reported;
        // the epilogue's general-register reload from [rbp-0x30] lies outside it.
        Assert.DoesNotContain(method.InnerLoops, l => l.GeneralStack > 0);
        Assert.Empty(ListingParser.Parse("no listing here"));
    }
}
