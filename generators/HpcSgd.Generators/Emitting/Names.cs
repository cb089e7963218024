namespace HpcSgd.Generators.Emitting;

/// <summary>Fully qualified names the generated code uses, so user types named alike cannot capture them.</summary>
internal static class Names
{
    public const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";
    public const string MemoryMarshal = "global::System.Runtime.InteropServices.MemoryMarshal";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";
    public const string Span = "global::System.Span<float>";
    public const string Kernels = "global::HpcSgd.Kernels";
    public const string DenseMath = Kernels + ".DenseMath";

    /// <summary>The operator struct of an activation, e.g. <c>global::HpcSgd.Kernels.ReLUActivation</c>.</summary>
    public static string Activation(Model.ActivationKind activation) => Kernels + "." + activation + "Activation";
    public const string LossHeads = Kernels + ".LossHeads";
    public const string UpdateMath = Kernels + ".UpdateMath";
    public const string UpdateRule = Kernels + ".UpdateRule";
    public const string Models = "global::HpcSgd.Models";
    public const string KernelArguments = Models + ".KernelArguments";

    /// <summary>
    /// On every kernel: compiled fully optimized on first call. Tier-0 code for these long loop nests runs an order of
    /// magnitude slower, and a training run's first hundreds of steps would otherwise pay for it.
    /// </summary>
    public const string FullyOptimized = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]";

    /// <summary>On a dispatcher between a kernel's per-target variants: inlined into its caller, leaving one direct call.</summary>
    public const string Inlined = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]";

    /// <summary>Type parameters and constraints shared by every width-generic kernel.</summary>
    public const string WidthTypeParameters = "<TOps, TVec>";
    public const string WidthConstraints = "where TOps : struct, " + Kernels + ".IVectorOps<TVec> where TVec : struct";

    /// <summary>Register widths, widest first: the dispatch takes the first one the hardware accelerates.</summary>
    public static readonly (string Condition, string Arguments)[] Widths =
    {
        ("global::System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated", "<" + Kernels + ".Vector512Ops, global::System.Runtime.Intrinsics.Vector512<float>>"),
        ("global::System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated", "<" + Kernels + ".Vector256Ops, global::System.Runtime.Intrinsics.Vector256<float>>"),
        ("global::System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated", "<" + Kernels + ".Vector128Ops, global::System.Runtime.Intrinsics.Vector128<float>>"),
        ("", "<" + Kernels + ".ScalarOps, float>"),
    };
}
