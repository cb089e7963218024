using System.Diagnostics.CodeAnalysis;
using System.Runtime.Intrinsics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace HpcSgd.Compiler;

/// <summary>
/// The generator's build properties, set as a build would set them: <c>HpcSgdKernelTargets</c> (a model compiled for
/// this process needs kernels for the instruction set it runs on only: one body per kernel instead of one per target)
/// and <c>HpcSgdPlanTuning</c>.
/// </summary>
internal sealed class GeneratorProperties(string targets, string tuning) : AnalyzerConfigOptionsProvider
{
    private readonly Properties global = new(targets, tuning);

    /// <summary>The target the generated dispatch picks in this process, by the generator's target ids.</summary>
    public static string Running =>
        Vector512.IsHardwareAccelerated ? "Avx512"
        : Vector256.IsHardwareAccelerated ? "Avx2"
        : Vector128.IsHardwareAccelerated ? (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "AdvSimd" : "Vector128")
        : "Scalar";

    public override AnalyzerConfigOptions GlobalOptions => global;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Empty.Instance;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Empty.Instance;

    private sealed class Properties(string targets, string tuning) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value)
        {
            value = key switch
            {
                "build_property.HpcSgdKernelTargets" => targets,
                "build_property.HpcSgdPlanTuning" => tuning,
                _ => null,
            };
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
