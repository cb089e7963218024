using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace HpcSgd.Generators.Tests;

/// <summary>The README's example is the sample project's source, and it compiles (with the generator) and runs.</summary>
public class ReadmeExampleTests
{
    // The build copies the README and the sample's source beside the assembly (see the project file).
    private static string RepoRoot() => Path.Combine(AppContext.BaseDirectory, "Repository");

    private static string ReadmeExample()
    {
        string readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        int start = readme.IndexOf("<!-- example:start -->", StringComparison.Ordinal);
        int end = readme.IndexOf("<!-- example:end -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md must mark its example with <!-- example:start --> and <!-- example:end -->");
        string block = readme[start..end];
        int code = block.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        return block[code..block.LastIndexOf("```", StringComparison.Ordinal)];
    }

    [Fact]
    public void ReadmeExample_IsTheSampleProjectSource()
    {
        string sample = File.ReadAllText(Path.Combine(RepoRoot(), "samples", "HpcSgd.Sample", "Program.cs"));
        Assert.Equal(sample.Trim(), ReadmeExample().Trim());
    }

    [Fact]
    public void ReadmeExample_CompilesWithoutWarnings_AndTrainsSaveLoads()
    {
        (ImmutableArray<Diagnostic> generatorDiagnostics, Compilation compilation, _) = GeneratorHarness.Generate(ReadmeExample());
        Assert.Empty(generatorDiagnostics);
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        Assert.Empty(GeneratorHarness.BuildWarningsAndErrors(compilation));

        Assembly assembly = Assembly.Load(image.ToArray());
        var output = new StringWriter();
        TextWriter original = Console.Out;
        Console.SetOut(output);
        try
        {
            assembly.EntryPoint!.Invoke(null, [Array.Empty<string>()]);
        }
        finally
        {
            Console.SetOut(original);
        }

        string text = output.ToString();
        Assert.Contains("Completed after 3000 steps", text);
        // The least-squares line of this data passes near 3 * 0.5 + 2.5 = 4.0 at x = 0.5.
        string predicted = text.Split("f(0.5) = ")[1].Split('\n')[0].Trim();
        Assert.InRange(double.Parse(predicted, System.Globalization.CultureInfo.InvariantCulture), 3.9, 4.1);
        Assert.Contains($"reloaded: f(0.5) = {predicted}", text);
    }
}
