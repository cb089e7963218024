using System.Linq;
using HpcSgd.Generators.Diagnostics;
using HpcSgd.Generators.Emitting;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Parsing;
using HpcSgd.Generators.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace HpcSgd.Generators;

/// <summary>
/// Generates shape-specialized SGD kernels for every type marked [SgdModel]:
/// attribute -> <see cref="ModelParser"/> -> equatable <see cref="ModelSpec"/> -> <see cref="ModelPlanner"/> ->
/// equatable <see cref="ModelPlan"/> (every choice of kernel variant, per target instruction set) -> <see cref="ModelEmitter"/>.
/// Diagnostics and source travel on separate branches so an edit that changes only a location does not re-emit.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SgdModelGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names of the pipeline steps, asserted by the incrementality tests.</summary>
    public static class Steps
    {
        /// <summary>The parsed declaration.</summary>
        public const string Parse = nameof(Parse);

        /// <summary>The model to emit.</summary>
        public const string Model = nameof(Model);

        /// <summary>The model's kernel plan.</summary>
        public const string Plan = nameof(Plan);

        /// <summary>The diagnostics to report.</summary>
        public const string Diagnostics = nameof(Diagnostics);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ModelParser.SgdModelAttributeName,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: ModelParser.Parse)
            .WithTrackingName(Steps.Parse);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(Steps.Diagnostics);

        IncrementalValuesProvider<ModelSpec> models = parsed
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(Steps.Model);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> orphanLayers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ModelParser.DenseAttributeName,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: ModelParser.ParseLayersWithoutModel)
            .Where(static d => d.Count > 0);

        context.RegisterSourceOutput(diagnostics, Report);
        context.RegisterSourceOutput(orphanLayers, Report);

        IncrementalValueProvider<KernelTargetSelection> targets = BuildProperty(context, KernelTargetSelection.PropertyKey, KernelTargetSelection.Parse,
            static selection => selection.Error is null ? null : Diagnostic.Create(DiagnosticDescriptors.UnknownKernelTarget, Location.None,
                selection.Value, selection.Error, string.Join(", ", KernelTarget.All.Select(t => t.Id))));
        IncrementalValueProvider<PlanTuning> tuning = BuildProperty(context, PlanTuning.PropertyKey, PlanTuning.Parse,
            static settings => settings.Error is null ? null : Diagnostic.Create(DiagnosticDescriptors.InvalidPlanTuning, Location.None,
                settings.Value, settings.Error, PlanTuning.MaxByteRowsAhead));

        IncrementalValuesProvider<ModelPlan> plans = models
            .Combine(targets.Combine(tuning))
            .Select(static (pair, _) => ModelPlanner.Plan(pair.Left, pair.Right.Left, pair.Right.Right))
            .WithTrackingName(Steps.Plan);

        context.RegisterSourceOutput(plans, static (output, plan) =>
            output.AddSource(ModelEmitter.HintName(plan.Model), ModelEmitter.Emit(plan)));
    }

    /// <summary>A build property parsed into an equatable value; the diagnostic <paramref name="refusal"/> gives for the value, if any, is reported.</summary>
    private static IncrementalValueProvider<T> BuildProperty<T>(IncrementalGeneratorInitializationContext context, string key,
        System.Func<string?, T> parse, System.Func<T, Diagnostic?> refusal)
    {
        IncrementalValueProvider<T> value = context.AnalyzerConfigOptionsProvider
            .Select((options, _) => parse(options.GlobalOptions.TryGetValue(key, out string? text) ? text : null));
        context.RegisterSourceOutput(value, (output, parsed) =>
        {
            if (refusal(parsed) is Diagnostic diagnostic)
            {
                output.ReportDiagnostic(diagnostic);
            }
        });
        return value;
    }

    private static void Report(SourceProductionContext output, EquatableArray<DiagnosticInfo> items)
    {
        foreach (DiagnosticInfo item in items)
        {
            output.ReportDiagnostic(item.ToDiagnostic());
        }
    }
}
