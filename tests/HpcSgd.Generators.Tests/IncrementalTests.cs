using System.Collections;
using System.Reflection;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace HpcSgd.Generators.Tests;

/// <summary>The pipeline caches: unrelated edits re-run nothing downstream of the parse; models hold no symbols.</summary>
public class IncrementalTests
{
    private const string Model = """
        using HpcSgd;
        namespace App;
        [SgdModel(Loss.MeanSquaredError, BatchSizes = [10])]
        [Dense(4, 2, Activation = Activation.Tanh)]
        [Dense(2, 1)]
        public partial class Regression { }
        """;

    [Fact]
    public void SecondRun_OnAnUnchangedCompilation_IsCachedThroughout()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Model);
        GeneratorDriver driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(compilation);

        GeneratorRunResult result = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();

        AssertAllReasons(result, SgdModelGenerator.Steps.Parse, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, SgdModelGenerator.Steps.Model, IncrementalStepRunReason.Cached);
        AssertAllReasons(result, SgdModelGenerator.Steps.Plan, IncrementalStepRunReason.Cached);
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void UnrelatedFileEdit_LeavesModelAndOutputCached()
    {
        CSharpCompilation first = GeneratorHarness.Compilation(Model, "class Other { }");
        GeneratorDriver driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(first);

        SyntaxTree other = first.SyntaxTrees.Last();
        CSharpCompilation second = first.ReplaceSyntaxTree(other,
            CSharpSyntaxTree.ParseText("class Other { int field; }", GeneratorHarness.ParseOptions, path: other.FilePath));
        GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();

        AssertAllReasons(result, SgdModelGenerator.Steps.Model, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void AddedComment_InTheModelFile_DoesNotModifyOutput()
    {
        CSharpCompilation first = GeneratorHarness.Compilation(Model);
        GeneratorDriver driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(first);

        SyntaxTree tree = first.SyntaxTrees.Single();
        CSharpCompilation second = first.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText("// a comment\n" + Model, GeneratorHarness.ParseOptions, path: tree.FilePath));
        GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();

        // The parse re-runs on the edited file, but yields an equal model, so nothing downstream is redone.
        AssertAllReasons(result, SgdModelGenerator.Steps.Model, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached);
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void ChangedLayerSize_RegeneratesTheModel()
    {
        CSharpCompilation first = GeneratorHarness.Compilation(Model);
        GeneratorDriver driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(first);
        SyntaxTree tree = first.SyntaxTrees.Single();
        CSharpCompilation second = first.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(Model.Replace("[Dense(2, 1)]", "[Dense(2, 3)]"), GeneratorHarness.ParseOptions, path: tree.FilePath));

        GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();

        AssertAllReasons(result, SgdModelGenerator.Steps.Model, IncrementalStepRunReason.Modified, IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void PipelineModel_HoldsNoSymbolsSyntaxOrCompilation()
    {
        var forbidden = new[] { typeof(ISymbol), typeof(Compilation), typeof(SyntaxNode), typeof(Location), typeof(SemanticModel) };
        var seen = new HashSet<Type>();
        Walk(typeof(ModelSpec));
        Walk(typeof(HpcSgd.Generators.Planning.ModelPlan));

        void Walk(Type type)
        {
            if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string))
            {
                return;
            }
            Assert.DoesNotContain(forbidden, f => f.IsAssignableFrom(type));
            foreach (Type argument in type.GetGenericArguments())
            {
                Walk(argument);
            }
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                Walk(field.FieldType.IsArray ? field.FieldType.GetElementType()! : field.FieldType);
            }
        }
    }

    private static void AssertAllReasons(GeneratorRunResult result, string step, params IncrementalStepRunReason[] allowed)
    {
        IncrementalGeneratorRunStep[] runs = result.TrackedSteps[step].ToArray();
        Assert.NotEmpty(runs);
        Assert.All(runs.SelectMany(r => r.Outputs), output => Assert.Contains(output.Reason, allowed));
    }
}
