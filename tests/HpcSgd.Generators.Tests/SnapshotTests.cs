using Microsoft.CodeAnalysis;

namespace HpcSgd.Generators.Tests;

/// <summary>
/// The generated code of three models, checked in under Snapshots/: every change to a plan or a writer shows up as a
/// diff of the emitted C# in review.
/// </summary>
public class SnapshotTests
{
    public static TheoryData<string, string> Models => new()
    {
        {
            "ClassicRegression",
            """
            namespace HpcSgd.Cli;
            [HpcSgd.SgdModel(HpcSgd.Loss.MeanSquaredError, BatchSizes = new[] { 1, 4, 10, 32, 100 })]
            [HpcSgd.Dense(inputs: 1, outputs: 1)]
            public partial class ClassicRegression { }
            """
        },
        {
            "SoftmaxRegression784x10",
            """
            namespace Snapshots;
            [HpcSgd.SgdModel(HpcSgd.Loss.SoftmaxCrossEntropy, BatchSizes = [64])]
            [HpcSgd.Dense(784, 10)]
            public partial class SoftmaxRegression784x10 { }
            """
        },
        {
            "Mlp784x128x10",
            """
            namespace Snapshots;
            [HpcSgd.SgdModel(HpcSgd.Loss.SoftmaxCrossEntropy, BatchSizes = [64])]
            [HpcSgd.Dense(784, 128, Activation = HpcSgd.Activation.ReLU)]
            [HpcSgd.Dense(128, 10)]
            public partial class Mlp784x128x10 { }
            """
        },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedCode_MatchesItsSnapshot(string name, string source)
    {
        var (diagnostics, output, run) = GeneratorHarness.Generate(source, "public static class Entry { public static void Main() { } }");

        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.BuildWarningsAndErrors(output));
        GeneratedSourceResult generated = Assert.Single(run.Results.Single().GeneratedSources);
        Snapshot.Match(name, generated.SourceText.ToString());
    }
}
