using System.Collections.Generic;

namespace HpcSgd.Generators.Planning;

/// <summary>
/// An instruction set the kernels are planned for: floats per register, how many vector registers the JIT can
/// allocate, and the condition that is true inside a width-generic kernel instantiated for it (the JIT folds it to a
/// constant, so each instantiation keeps only its own target's code).
/// </summary>
internal sealed record KernelTarget(string Id, string Name, int Lanes, int Registers, string Condition)
{
    /// <summary>Vector512 with EVEX encoding: 32 zmm registers.</summary>
    public static readonly KernelTarget Avx512 = new("Avx512", "x64 AVX-512", 16, 32, "TOps.Count == 16");

    /// <summary>Vector256 with VEX encoding (AVX2 + FMA, or AVX-512 switched off): 16 ymm registers.</summary>
    public static readonly KernelTarget Avx2 = new("Avx2", "x64 AVX2", 8, 16, "TOps.Count == 8");

    /// <summary>ARM64 AdvSimd (NEON): 32 registers of 128 bits with fused multiply-add.</summary>
    public static readonly KernelTarget AdvSimd = new("AdvSimd", "ARM64 AdvSimd", 4, 32, "TOps.Count == 4 && " + Emitting.Names.AdvSimdSupported);

    /// <summary>Vector128 on x64 (SSE, or AVX without AVX2): 16 xmm registers.</summary>
    public static readonly KernelTarget X64Vector128 = new("Vector128", "x64 128-bit", 4, 16, "TOps.Count == 4 && !" + Emitting.Names.AdvSimdSupported);

    /// <summary>No accelerated vectors: one float per register.</summary>
    public static readonly KernelTarget Scalar = new("Scalar", "scalar", 1, 16, "TOps.Count == 1");

    /// <summary>Every target, in the order the generated kernels test them. Conditions are mutually exclusive.</summary>
    public static readonly IReadOnlyList<KernelTarget> All = new[] { Avx512, Avx2, AdvSimd, X64Vector128, Scalar };
}
