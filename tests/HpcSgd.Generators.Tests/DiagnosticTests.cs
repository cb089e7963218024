using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace HpcSgd.Generators.Tests;

/// <summary>
/// One test per diagnostic: its ID, the exact text it points at, and its message; any further diagnostic
/// fails the test. Invalid declarations also generate no source.
/// </summary>
public class DiagnosticTests
{
    [Fact]
    public void NotPartial_HPCSGD001_OnTheTypeName() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError)]
        [Dense(1, 1)]
        public class Plain { }
        """, "HPCSGD001", "Plain",
        "The model type 'Plain' must be declared partial so that HpcSgd can add its generated kernels; add the 'partial' modifier");

    [Fact]
    public void ContainingTypeNotPartial_HPCSGD002_OnTheContainingTypeName() => AssertSingle("""
        using HpcSgd;
        public class Host
        {
            [SgdModel(Loss.MeanSquaredError)]
            [Dense(1, 1)]
            public partial class Inner { }
        }
        """, "HPCSGD002", "Host",
        "'Host' encloses the model type 'Inner' and must be partial too; add the 'partial' modifier to 'Host'");

    [Fact]
    public void UnknownKernelTarget_HPCSGD016_NamesTheValueAndTheTargets_AndEveryTargetIsPlanned()
    {
        (ImmutableArray<Diagnostic> diagnostics, _, GeneratorDriverRunResult run) = GeneratorHarness.GenerateFor("Avx2, Sse9", """
            using HpcSgd;
            [SgdModel(Loss.MeanSquaredError, BatchSizes = [64])]
            [Dense(30, 16)]
            public partial class M { }
            """);
        Diagnostic single = Assert.Single(diagnostics);
        Assert.Equal("HPCSGD016", single.Id);
        Assert.Equal(Location.None, single.Location);
        Assert.Equal("The build property HpcSgdKernelTargets is 'Avx2, Sse9': 'Sse9' is not a kernel target; use a comma-separated list of Avx512, Avx2, AdvSimd, Vector128, Scalar, or leave it empty for all",
            single.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("_Avx512", run.GeneratedTrees.Single().ToString());
    }

    [Fact]
    public void KernelTargets_Avx2_GivesOneBodyPerKernel()
    {
        const string source = """
            using HpcSgd;
            [SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 64])]
            [Dense(30, 16, Activation = Activation.ReLU)]
            [Dense(16, 10)]
            public partial class M { }
            public static class Program { public static void Main() { } }
            """;
        (ImmutableArray<Diagnostic> diagnostics, Compilation output, GeneratorDriverRunResult run) = GeneratorHarness.GenerateFor("Avx2", source);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string selected = run.GeneratedTrees.Single().ToString();
        string all = GeneratorHarness.Generate(source).Run.GeneratedTrees.Single().ToString();
        Assert.DoesNotContain("_Avx512", selected);
        Assert.DoesNotContain("_Avx2<", selected);
        Assert.Contains("_Avx512", all);
        Assert.True(selected.Length * 2 < all.Length, $"{selected.Length} vs {all.Length} characters");
    }

    [Fact]
    public void GenericType_HPCSGD003() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError)]
        [Dense(1, 1)]
        public partial class Generic<T> { }
        """, "HPCSGD003", "Generic",
        "The model type 'Generic' is generic; kernels are specialized to one concrete shape, so declare the model on a non-generic type");

    [Fact]
    public void NestedInGenericType_HPCSGD004() => AssertSingle("""
        using HpcSgd;
        public partial class Host<T>
        {
            [SgdModel(Loss.MeanSquaredError)]
            [Dense(1, 1)]
            public partial class Inner { }
        }
        """, "HPCSGD004", "Inner",
        "The model type 'Inner' is nested in the generic type 'Host'; move the model out of the generic type");

    [Fact]
    public void RefStruct_HPCSGD005() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError)]
        [Dense(1, 1)]
        public ref partial struct Stack { }
        """, "HPCSGD005", "Stack",
        "The model type 'Stack' is a ref struct, which cannot implement the model interface; declare it as a class or a struct without 'ref'");

    [Fact]
    public void StaticClass_HPCSGD006() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError)]
        [Dense(1, 1)]
        public static partial class Holder { }
        """, "HPCSGD006", "Holder",
        "The model type 'Holder' is static, which cannot implement the model interface; remove the 'static' modifier");

    [Fact]
    public void NoLayer_HPCSGD007_OnTheModelAttribute() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError)]
        public partial class Empty { }
        """, "HPCSGD007", "SgdModel(Loss.MeanSquaredError)",
        "The model 'Empty' declares no layer; add at least one [Dense(inputs, outputs)] attribute");

    [Fact]
    public void LayersWithoutModel_HPCSGD015_OnTheFirstLayer() => AssertSingle("""
        using HpcSgd;
        [Dense(4, 8, Activation = Activation.ReLU)]
        [Dense(8, 1)]
        public partial class Forgotten { }
        """, "HPCSGD015", "Dense(4, 8, Activation = Activation.ReLU)",
        "'Forgotten' has [Dense] layers but no [SgdModel] attribute, so no kernels are generated for it; add [SgdModel(Loss...)] to the type or remove the layers");

    [Fact]
    public void NonPositiveLayerSize_HPCSGD008_OnTheArgument() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError)]
        [Dense(inputs: 4, outputs: 0)]
        public partial class Zero { }
        """, "HPCSGD008", "outputs: 0",
        "Layer 0 of 'Zero' declares outputs = 0; every layer needs at least 1 input and 1 output");

    [Fact]
    public void LayersThatDoNotChain_HPCSGD009_OnTheInputsArgument() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError)]
        [Dense(4, 8, Activation = Activation.ReLU)]
        [Dense(7, 1)]
        public partial class Broken { }
        """, "HPCSGD009", "7",
        "Layer 1 of 'Broken' takes 7 inputs but layer 0 before it produces 8 outputs; set the inputs of layer 1 to 8");

    [Theory]
    [InlineData("BinaryCrossEntropy", 3, "Loss.BinaryCrossEntropy needs exactly 1 output (the logit of class 1), but the last layer of 'Mismatch' has 3 outputs; give the last layer 1 output, or use Loss.SoftmaxCrossEntropy for several classes")]
    [InlineData("SoftmaxCrossEntropy", 1, "Loss.SoftmaxCrossEntropy needs at least 2 outputs (one per class), but the last layer of 'Mismatch' has 1 outputs; give the last layer one output per class, or use Loss.BinaryCrossEntropy for two classes with 1 output")]
    public void LossThatDoesNotFitOutputs_HPCSGD010(string loss, int outputs, string message) => AssertSingle($$"""
        using HpcSgd;
        [SgdModel(Loss.{{loss}})]
        [Dense(5, {{outputs}})]
        public partial class Mismatch { }
        """, "HPCSGD010", $"SgdModel(Loss.{loss})", message);

    [Fact]
    public void NonPositiveBatchSize_HPCSGD011_OnTheElement() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError, BatchSizes = new[] { 8, -4 })]
        [Dense(1, 1)]
        public partial class Negative { }
        """, "HPCSGD011", "-4",
        "Batch size -4 declared for 'Negative' is not positive; declare batch sizes of at least 1");

    [Fact]
    public void RepeatedBatchSize_HPCSGD012_OnTheRepeat() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.MeanSquaredError, BatchSizes = [16, 32, 16])]
        [Dense(1, 1)]
        public partial class Twice { }
        """, "HPCSGD012", "16", "Batch size 16 is declared more than once for 'Twice'; remove the repeated value",
        expectedColumn: 55);

    [Fact]
    public void ActivationBeforeFoldedLoss_HPCSGD013_OnTheLastLayer() => AssertSingle("""
        using HpcSgd;
        [SgdModel(Loss.SoftmaxCrossEntropy)]
        [Dense(4, 3, Activation = Activation.ReLU)]
        public partial class Folded { }
        """, "HPCSGD013", "Dense(4, 3, Activation = Activation.ReLU)",
        "The last layer of 'Folded' has activation Activation.ReLU, but Loss.SoftmaxCrossEntropy already applies a softmax to the last layer; use Activation.Identity on the last layer");

    [Fact]
    public void UndefinedEnumValue_HPCSGD014() => AssertSingle("""
        using HpcSgd;
        [SgdModel((Loss)7)]
        [Dense(1, 1)]
        public partial class Undefined { }
        """, "HPCSGD014", "(Loss)7",
        "Loss value 7 on 'Undefined' is not a member of HpcSgd.Loss; use one of: MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy");

    [Fact]
    public void Diagnostic_CanBeSuppressedWithPragma_BecauseItHasASourceLocation()
    {
        (ImmutableArray<Diagnostic> diagnostics, Compilation output, _) = GeneratorHarness.Generate("""
            using HpcSgd;
            [SgdModel(Loss.MeanSquaredError)]
            #pragma warning disable HPCSGD007
            public partial class Empty { }
            """);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.True(diagnostic.Location.IsInSource);
    }

    private static void AssertSingle(string source, string id, string locatedText, string message, int? expectedColumn = null)
    {
        (ImmutableArray<Diagnostic> diagnostics, _, Microsoft.CodeAnalysis.GeneratorDriverRunResult run) = GeneratorHarness.Generate(source);

        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(diagnostic.Location.IsInSource);
        Assert.Equal(locatedText, diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
        if (expectedColumn is int column)
        {
            Assert.Equal(column, diagnostic.Location.GetLineSpan().StartLinePosition.Character);
        }
        Assert.Empty(run.GeneratedTrees);
    }
}
