using System.Diagnostics.CodeAnalysis;
using System.Runtime.Intrinsics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace HpcSgd.Compiler;

/// <summary>
/// The generator's <c>HpcSgdKernelTargets</c> build property, set as a build would set it: a model compiled for this
/// process needs kernels for the instruction set it runs on only (one body per kernel instead of one per target).
/// </summary>
internal sealed class KernelTargetOptions(string targets) : AnalyzerConfigOptionsProvider
{
    private readonly TargetsProperty global = new(targets);

    /// <summary>The target the generated dispatch picks in this process, by the generator's target ids.</summary>
    public static string Running =>
        Vector512.IsHardwareAccelerated ? "Avx512"
        : Vector256.IsHardwareAccelerated ? "Avx2"
        : Vector128.IsHardwareAccelerated ? (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "AdvSimd" : "Vector128")
        : "Scalar";

    public override AnalyzerConfigOptions GlobalOptions => global;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Empty.Instance;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Empty.Instance;

    private sealed class TargetsProperty(string targets) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value)
        {
            value = key == "build_property.HpcSgdKernelTargets" ? targets : null;
            return value is not null;
        }
    }

    private sealed class Empty : AnalyzerConfigOptions
    {
        public static readonly Empty Instance = new();

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value)
        {
            value = null;
            return false;
        }
    }
}
