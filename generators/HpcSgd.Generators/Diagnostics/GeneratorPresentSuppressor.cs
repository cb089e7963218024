using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace HpcSgd.Generators.Diagnostics;

/// <summary>
/// The runtime marks [SgdModel]'s constructor with an obsolete-style warning, HPCSGD017, that says the generator is
/// missing. This suppressor ships in the generator's assembly, so wherever the generator is loaded the warning is
/// silenced, and only a build without the generator (e.g. a path reference to src/HpcSgd alone) shows it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GeneratorPresentSuppressor : DiagnosticSuppressor
{
    internal const string GeneratorMissingId = "HPCSGD017";

    internal static readonly SuppressionDescriptor GeneratorRuns = new(
        "HPCSGDSPR017", GeneratorMissingId, "HpcSgd's source generator is loaded in this compilation, so [SgdModel] types get their kernels");

    /// <inheritdoc />
    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions => ImmutableArray.Create(GeneratorRuns);

    /// <inheritdoc />
    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        foreach (Diagnostic diagnostic in context.ReportedDiagnostics)
        {
            context.ReportSuppression(Suppression.Create(GeneratorRuns, diagnostic));
        }
    }
}
