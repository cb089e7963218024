using System.Runtime.CompilerServices;

namespace HpcSgd.Kernels;

/// <summary>How the kernels' helpers are compiled.</summary>
internal static class Compilation
{
    /// <summary>
    /// Inlined into the kernel that calls it; where the JIT declines (a large kernel spends its inlining budget before its
    /// scalar tail or update epilogue), compiled optimized on first call, so that, like the kernels, it is not recompiled
    /// while training runs. Used on the scalar operations, the update step and the update rule's fields; on the vector
    /// operations it cost the kernels speed (benchmarks/README.md).
    /// </summary>
    public const MethodImplOptions Inlined = MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization;
}
