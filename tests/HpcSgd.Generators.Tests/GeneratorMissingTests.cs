using HpcSgd.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace HpcSgd.Generators.Tests;

/// <summary>
/// A build that references the runtime without the generator says so (HPCSGD017 on the [SgdModel] attribute, with
/// the fix), and a build with the generator's assembly never shows that warning.
/// </summary>
public class GeneratorMissingTests
{
    private const string Declaration = """
        using HpcSgd;
        using HpcSgd.Models;

        public static class Entry
        {
            public static void Main() { var model = new Model<Line>(); }
        }

        [SgdModel(Loss.MeanSquaredError, BatchSizes = [4])]
        [Dense(1, 1)]
        public partial class Line { }
        """;

    [Fact]
    public void WithoutTheGenerator_TheAttributeWarnsAndSaysHowToAddIt()
    {
        Compilation compilation = GeneratorHarness.Compilation(Declaration);

        Diagnostic missing = Assert.Single(compilation.GetDiagnostics(), d => d.Id == GeneratorPresentSuppressor.GeneratorMissingId);
        Assert.Equal(DiagnosticSeverity.Warning, missing.Severity);
        FileLinePositionSpan where = missing.Location.GetLineSpan(); // 0-based: line 9, just after its "["
        Assert.Equal(("Source0.cs", 8, 1), (where.Path, where.StartLinePosition.Line, where.StartLinePosition.Character));
        string message = missing.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("source generator is not running", message);
        Assert.Contains("HpcSgd.Generators.csproj", message);
        Assert.Contains("OutputItemType=\"Analyzer\"", message);
        // The error it explains is still there, after it.
        Assert.Contains(compilation.GetDiagnostics(), d => d.Id == "CS0311");
    }

    [Fact]
    public void WithTheGenerator_TheWarningIsSuppressedAndTheBuildIsClean()
    {
        var (generatorDiagnostics, output, _) = GeneratorHarness.Generate(Declaration);
        Assert.Empty(generatorDiagnostics);

        Diagnostic raised = Assert.Single(output.GetDiagnostics(), d => d.Id == GeneratorPresentSuppressor.GeneratorMissingId);
        Assert.False(raised.IsSuppressed); // the compiler alone raises it; the suppressor is what silences it
        Assert.Empty(GeneratorHarness.BuildWarningsAndErrors(output));
    }

    [Fact]
    public void TheSuppressor_LeavesOtherObsoleteWarningsAlone()
    {
        var (_, output, _) = GeneratorHarness.Generate(Declaration, """
            public static class Legacy
            {
                [System.Obsolete("use something else")] public static void Old() { }
                public static void Caller() => Old();
            }
            """);

        Diagnostic remaining = Assert.Single(GeneratorHarness.BuildWarningsAndErrors(output));
        Assert.Equal("CS0618", remaining.Id);
    }
}
