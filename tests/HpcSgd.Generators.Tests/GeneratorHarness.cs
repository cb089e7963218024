using System.Collections.Immutable;
using System.Reflection;
using HpcSgd.Generators;
using HpcSgd.Generators.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace HpcSgd.Generators.Tests;

/// <summary>Compiles source against the HpcSgd runtime with the generator, the way a consumer's build does.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create("Consumer",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable,
                allowUnsafe: false, generalDiagnosticOption: ReportDiagnostic.Default));

    public static GeneratorDriver Driver(bool trackSteps = false, string? kernelTargets = null, string? planTuning = null) =>
        CSharpGeneratorDriver.Create([new SgdModelGenerator().AsSourceGenerator()], parseOptions: ParseOptions,
            optionsProvider: kernelTargets is null && planTuning is null ? null : new BuildProperties(new Dictionary<string, string?>
            {
                ["build_property.HpcSgdKernelTargets"] = kernelTargets,
                ["build_property.HpcSgdPlanTuning"] = planTuning,
            }),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator; returns its diagnostics and the compilation with the generated sources added.</summary>
    public static (ImmutableArray<Diagnostic> GeneratorDiagnostics, Compilation Output, GeneratorDriverRunResult Run) Generate(params string[] sources) =>
        GenerateFor(null, sources);

    /// <summary>As <see cref="Generate"/>, with the build property HpcSgdKernelTargets set to <paramref name="kernelTargets"/> (null: unset).</summary>
    public static (ImmutableArray<Diagnostic> GeneratorDiagnostics, Compilation Output, GeneratorDriverRunResult Run) GenerateFor(string? kernelTargets, params string[] sources) =>
        GenerateWith(kernelTargets, null, sources);

    /// <summary>As <see cref="Generate"/>, with the build properties HpcSgdKernelTargets and HpcSgdPlanTuning set (null: unset).</summary>
    public static (ImmutableArray<Diagnostic> GeneratorDiagnostics, Compilation Output, GeneratorDriverRunResult Run) GenerateWith(string? kernelTargets, string? planTuning, params string[] sources)
    {
        GeneratorDriver driver = Driver(kernelTargets: kernelTargets, planTuning: planTuning).RunGeneratorsAndUpdateCompilation(Compilation(sources), out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return (diagnostics, output, driver.GetRunResult());
    }

    /// <summary>
    /// The compilation's warnings and errors as a build with the generator's assembly loaded reports them: compiler
    /// diagnostics with the assembly's suppressor applied (which silences HPCSGD017, "generator missing").
    /// </summary>
    public static ImmutableArray<Diagnostic> BuildWarningsAndErrors(Compilation compilation) =>
        compilation.WithAnalyzers([new GeneratorPresentSuppressor()])
            .GetAllDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => !d.IsSuppressed && d.Severity >= DiagnosticSeverity.Warning)
            .ToImmutableArray();

    /// <summary>Global build properties, as MSBuild passes CompilerVisibleProperty items (a null value: unset).</summary>
    private sealed class BuildProperties(IReadOnlyDictionary<string, string?> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
    {
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions { get; } = new Options(values);

        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(new Dictionary<string, string?>());

        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(new Dictionary<string, string?>());

        private sealed class Options(IReadOnlyDictionary<string, string?> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions
        {
            public override bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? result)
            {
                result = values.GetValueOrDefault(name);
                return result is not null;
            }
        }
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        var paths = trusted.Split(Path.PathSeparator).Where(p => Path.GetFileName(p).StartsWith("System.") || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll").ToList();
        paths.Add(typeof(HpcSgd.Models.ModelDescription).Assembly.Location);
        paths.Add(typeof(System.IO.Hashing.Crc32).Assembly.Location);
        return [.. paths.Distinct().Select(p => MetadataReference.CreateFromFile(p))];
    }
}
