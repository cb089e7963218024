namespace HpcSgd.Generators.Emitting;

/// <summary>
/// Names the generated code uses. Each is qualified by a namespace alias (<c>Kernels::ScalarOps</c>): an alias qualifier
/// is looked up among the file's aliases only, so user types named alike cannot capture it, at half the length of
/// <c>global::</c> paths.
/// </summary>
internal static class Names
{
    /// <summary>The using directives that open every generated file, defining the aliases below.</summary>
    public static readonly string[] AliasDirectives =
    {
        "using CompilerServices = global::System.Runtime.CompilerServices;",
        "using InteropServices = global::System.Runtime.InteropServices;",
        "using Intrinsics = global::System.Runtime.Intrinsics;",
        "using Kernels = global::HpcSgd.Kernels;",
        "using Models = global::HpcSgd.Models;",
    };

    public const string Unsafe = "CompilerServices::Unsafe";
    public const string MemoryMarshal = "InteropServices::MemoryMarshal";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";
    public const string Span = "global::System.Span<float>";
    /// <summary>Prefix of a type in HpcSgd.Kernels: <c>Kernels + "ScalarOps"</c>.</summary>
    public const string Kernels = "Kernels::";
    public const string DenseMath = Kernels + "DenseMath";
    public const string Packing = Kernels + "Packing";
    public const string ByteRowBatch = Kernels + "ByteRowBatch";

    /// <summary>The operator struct of an activation, e.g. <c>Kernels::ReLUActivation</c>.</summary>
    public static string Activation(Model.ActivationKind activation) => Kernels + activation + "Activation";
    public const string LossHeads = Kernels + "LossHeads";
    public const string UpdateMath = Kernels + "UpdateMath";
    public const string UpdateRule = Kernels + "UpdateRule";
    /// <summary>Prefix of a type in HpcSgd.Models.</summary>
    public const string Models = "Models::";
    public const string KernelArguments = Models + "KernelArguments";
    public const string Vector128 = "Intrinsics::Vector128";
    public const string AdvSimdSupported = "Intrinsics::Arm.AdvSimd.IsSupported";

    /// <summary>
    /// On every kernel: compiled fully optimized on first call. Tier-0 code for these long loop nests runs an order of
    /// magnitude slower, and a training run's first hundreds of steps would otherwise pay for it.
    /// </summary>
    public const string FullyOptimized = "[CompilerServices::MethodImpl(CompilerServices::MethodImplOptions.AggressiveOptimization)]";

    /// <summary>
    /// On a dispatcher between a kernel's per-target variants: inlined into its caller, leaving one direct call; where the
    /// JIT declines, compiled optimized on first call like the kernels, so it is not recompiled mid-run either.
    /// </summary>
    public const string Inlined = "[CompilerServices::MethodImpl(CompilerServices::MethodImplOptions.AggressiveInlining | CompilerServices::MethodImplOptions.AggressiveOptimization)]";

    /// <summary>Type parameters and constraints shared by every width-generic kernel.</summary>
    public const string WidthTypeParameters = "<TOps, TVec>";
    public const string WidthConstraints = "where TOps : struct, " + Kernels + "IVectorOps<TVec> where TVec : struct";

    /// <summary>Register widths, widest first: the dispatch takes the first one the hardware accelerates.</summary>
    public static readonly (string Condition, string Arguments)[] Widths =
    {
        ("Intrinsics::Vector512.IsHardwareAccelerated", "<" + Kernels + "Vector512Ops, Intrinsics::Vector512<float>>"),
        ("Intrinsics::Vector256.IsHardwareAccelerated", "<" + Kernels + "Vector256Ops, Intrinsics::Vector256<float>>"),
        ("Intrinsics::Vector128.IsHardwareAccelerated", "<" + Kernels + "Vector128Ops, Intrinsics::Vector128<float>>"),
        ("", "<" + Kernels + "ScalarOps, float>"),
    };
}
