using System.Collections.Immutable;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;
using Microsoft.CodeAnalysis;

namespace HpcSgd.Generators.Tests;

/// <summary>
/// HpcSgdPlanTuning overrides exactly the choices it names, leaves the rest to the planner, and refuses what it does not
/// understand with HPCSGD018 (the planner's choices then stand).
/// </summary>
public class PlanTuningTests
{
    private static readonly ModelSpec Softmax784 = Model(new LayerSpec(784, 10, ActivationKind.Identity));

    private static readonly ModelSpec Mlp784 = Model(new LayerSpec(784, 128, ActivationKind.ReLU), new LayerSpec(128, 10, ActivationKind.Identity));
    private static readonly ModelSpec Mlp784x128x128 = Model(new LayerSpec(784, 128, ActivationKind.ReLU), new LayerSpec(128, 128, ActivationKind.ReLU), new LayerSpec(128, 10, ActivationKind.Identity));

    [Theory]
    [InlineData("", null, null)]
    [InlineData("ByteRowsAhead=16", 16, null)]
    [InlineData("byterowsahead=0", 0, null)]
    [InlineData("PacksA=on", null, true)]
    [InlineData("PacksA=False", null, false)]
    [InlineData(" ByteRowsAhead=64; PacksA=off ", 64, false)]
    [InlineData("PacksA=on,ByteRowsAhead=4", 4, true)]
    public void Parse_ReadsEachSetting(string value, int? rows, bool? packs)
    {
        PlanTuning tuning = PlanTuning.Parse(value);
        Assert.Null(tuning.Error);
        Assert.Equal(rows, tuning.ByteRowsAhead);
        Assert.Equal(packs, tuning.PacksA);
        Assert.Null(tuning.NarrowTile);
        Assert.Null(tuning.PacksB);
    }

    [Fact]
    public void Parse_ReadsANarrowTile_RowsByVectors_BLoadedFirst()
    {
        Assert.Equal(new Tile(4, 3, LoadsBFirst: true), PlanTuning.Parse("NarrowTile=4x3").NarrowTile);
        Assert.Equal(new Tile(12, 1, LoadsBFirst: true), PlanTuning.Parse("narrowtile=12x1, PacksA=off").NarrowTile);
        Assert.Equal("NarrowTile=13x1", PlanTuning.Parse("NarrowTile=13x1").Error);
        Assert.Equal("NarrowTile=4x5", PlanTuning.Parse("NarrowTile=4x5").Error);
        Assert.Equal("NarrowTile=4*3", PlanTuning.Parse("NarrowTile=4*3").Error);
    }

    [Fact]
    public void NarrowTile_ReplacesTheFullSizeBroadcastTileOn16Registers_Only()
    {
        LayerPlan planned = Layer(Mlp784, "", 0), tuned = Layer(Mlp784, "NarrowTile=4x3", 0);
        int avx512 = 0, avx2 = 1;
        Assert.Equal(planned.Forward.Tiles[avx512], tuned.Forward.Tiles[avx512]);
        Assert.Equal((6, 2), (planned.Forward.Tiles[avx2].Rows, planned.Forward.Tiles[avx2].Columns));
        Assert.Equal((4, 3), (tuned.Forward.Tiles[avx2].Rows, tuned.Forward.Tiles[avx2].Columns));
        Assert.Equal((4, 3, true), (tuned.WeightGradient.Tiles[avx2].Rows, tuned.WeightGradient.Tiles[avx2].Columns, tuned.WeightGradient.Tiles[avx2].PacksA));
        // Batch 1 keeps its few-row tile.
        LayerPlan single = Layer(Model([1], Mlp784.Layers.ToArray()), "NarrowTile=4x3", 0);
        Assert.Equal(1, single.Forward.Tiles[avx2].Rows);
    }

    [Fact]
    public void WeightPanels_Off_KeepsTheFirstLayersWholeRows_AndItsForwardPassCopiesPanelsAgain()
    {
        Assert.True(PlanTuning.Parse("WeightPanels=off").WeightPanels is false);
        Assert.True(PlanTuning.Parse("weightpanels=on").WeightPanels is true);
        Assert.Equal("WeightPanels=maybe", PlanTuning.Parse("WeightPanels=maybe").Error);
        ModelPlan Plan(string tuning) => ModelPlanner.Plan(Mlp784x128x128, KernelTargetSelection.All, PlanTuning.Parse(tuning));
        Assert.Equal([WeightLayoutKind.InputMajorPanels, WeightLayoutKind.InputMajor, WeightLayoutKind.OutputMajor], Plan("").Layouts.Select(l => l.Weights));
        Assert.Equal(Plan(""), Plan("WeightPanels=on"));
        Assert.Equal([WeightLayoutKind.InputMajor, WeightLayoutKind.InputMajor, WeightLayoutKind.OutputMajor], Plan("WeightPanels=off").Layouts.Select(l => l.Weights));
        // In whole rows, the 16-register targets copy each panel of the first layer's weights again (W4's rule).
        Assert.Equal([false, true, false, true, true], Layer(Mlp784x128x128, "WeightPanels=off", 0).Forward.Tiles.Select(t => t.PacksB));
    }

    [Theory]
    [InlineData("ByteRowsAhead=65", "ByteRowsAhead=65")]
    [InlineData("ByteRowsAhead=-1", "ByteRowsAhead=-1")]
    [InlineData("ByteRowsAhead", "ByteRowsAhead")]
    [InlineData("PacksA=on,PacksC=on", "PacksC=on")]
    [InlineData("PacksA=yes", "PacksA=yes")]
    [InlineData("NarrowTile=4x3, PacksA=yes", "PacksA=yes")]
    public void Parse_RefusesTheFirstSettingItDoesNotUnderstand_AndOverridesNothing(string value, string refused)
    {
        Assert.Equal(PlanTuning.None with { Error = refused, Value = value }, PlanTuning.Parse(value));
    }

    [Fact]
    public void NoTuning_IsThePlannersPlan()
    {
        Assert.Equal(ModelPlanner.Plan(Mlp784), ModelPlanner.Plan(Mlp784, KernelTargetSelection.All, PlanTuning.None));
        Assert.Equal(ModelPlanner.Plan(Softmax784), ModelPlanner.Plan(Softmax784, KernelTargetSelection.All, PlanTuning.Parse("")));
    }

    [Fact]
    public void ByteRowsAhead_SetsTheRowsAhead_OrTurnsReadingByteRowsOff_WhereTheForwardPassReadsThem()
    {
        Assert.Equal(8, ModelPlanner.Plan(Softmax784).ByteRowsAhead);
        Assert.Equal(24, ModelPlanner.Plan(Softmax784, KernelTargetSelection.All, PlanTuning.Parse("ByteRowsAhead=24")).ByteRowsAhead);
        Assert.Equal(0, ModelPlanner.Plan(Softmax784, KernelTargetSelection.All, PlanTuning.Parse("ByteRowsAhead=0")).ByteRowsAhead);
        // W4's first layer runs in broadcast form, which never reads byte rows: the tuning cannot switch that on.
        Assert.Equal(0, ModelPlanner.Plan(Mlp784, KernelTargetSelection.All, PlanTuning.Parse("ByteRowsAhead=24")).ByteRowsAhead);
    }

    [Fact]
    public void PacksA_On_PacksOnEveryTarget_Off_OnNone_AndOnlyWhereAIsReadAcrossItsRows()
    {
        ProductPlan Gradient(string tuning, int layer) => Layer(Mlp784, tuning, layer).WeightGradient;
        // The rule: the 16-register targets (AVX2, Vector128, scalar) pack x^T, the 32-register ones read it in place.
        Assert.Equal([false, true, false, true, true], Gradient("", 0).Tiles.Select(t => t.PacksA));
        Assert.All(Gradient("PacksA=on", 0).Tiles, t => Assert.True(t.PacksA));
        Assert.All(Gradient("PacksA=off", 0).Tiles, t => Assert.False(t.PacksA));
        // The second layer's delta^T steps 10 floats per depth step (within a line): never packed.
        Assert.All(Gradient("PacksA=on", 1).Tiles, t => Assert.False(t.PacksA));
    }

    [Fact]
    public void PacksB_Off_LeavesEveryPanelInPlace_On_PacksWhereTheRowsAreWholeLines()
    {
        ProductPlan Forward(string tuning, int layer) => Layer(Mlp784x128x128, tuning, layer).Forward;
        // The hidden 128 -> 128 layer's forward pass: rows of 128 floats fall into 8 of the 64 L1 sets, and a panel 128
        // deep is read by more than one row strip, so every target packs it (AVX-512's 8 x 2 tile of 16 lanes too: its
        // 128-deep copy is 16 KiB, half the L1).
        Assert.All(Forward("", 1).Tiles, t => Assert.True(t.PacksB));
        Assert.All(Forward("PacksB=off", 1).Tiles, t => Assert.False(t.PacksB));
        Assert.All(Forward("PacksB=on", 1).Tiles, t => Assert.True(t.PacksB));
        // The first layer's weights are kept in panels (the layout the copy would make): never copied, whatever the tuning.
        Assert.All(new[] { "", "PacksB=on" }, tuning => Assert.All(Forward(tuning, 0).Tiles, t => Assert.False(t.PacksB)));
        Assert.True(PlanTuning.Parse("PacksB=on").PacksB);
    }

    [Fact]
    public void PacksA_On_GivesTheAvx512KernelItsPackedBuffer()
    {
        const string source = """
            using HpcSgd;
            [SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [64])]
            [Dense(784, 128, Activation = Activation.ReLU)]
            [Dense(128, 10)]
            public partial class M { }
            public static class Program { public static void Main() { } }
            """;
        string Generated(string? tuning) => GeneratorHarness.GenerateWith("Avx512", tuning, source).Run.GeneratedTrees.Single().ToString();
        Assert.DoesNotContain("ref float packed", Generated(null));
        Assert.Contains("ref float packed", Generated("PacksA=on"));
        (ImmutableArray<Diagnostic> diagnostics, Compilation output, _) = GeneratorHarness.GenerateWith("Avx512", "PacksA=on", source);
        Assert.Empty(diagnostics);
        Assert.Empty(GeneratorHarness.BuildWarningsAndErrors(output));
    }

    [Fact]
    public void InvalidTuning_HPCSGD018_NamesTheValueAndTheSetting_AndThePlannersChoicesStand()
    {
        const string source = """
            using HpcSgd;
            [SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [64])]
            [Dense(784, 10)]
            public partial class M { }
            """;
        (ImmutableArray<Diagnostic> diagnostics, _, GeneratorDriverRunResult run) = GeneratorHarness.GenerateWith(null, "ByteRowsAhead=12, Tiles=4x4", source);
        Diagnostic single = Assert.Single(diagnostics);
        Assert.Equal("HPCSGD018", single.Id);
        Assert.Equal(Location.None, single.Location);
        Assert.Equal("The build property HpcSgdPlanTuning is 'ByteRowsAhead=12, Tiles=4x4': 'Tiles=4x4' is not a tuning; use ByteRowsAhead=N (0 to 64), PacksA=on|off, PacksB=on|off, NarrowTile=RxV (1-12 rows x 1-4 vectors) or WeightPanels=on|off, or leave it empty for the planner's choices",
            single.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        string planned = GeneratorHarness.Generate(source).Run.GeneratedTrees.Single().ToString();
        Assert.Equal(planned, run.GeneratedTrees.Single().ToString());
    }

    /// <summary>Layer <paramref name="layer"/> of the first batch plan of <paramref name="model"/> under <paramref name="tuning"/>.</summary>
    private static LayerPlan Layer(ModelSpec model, string tuning, int layer) =>
        ModelPlanner.Plan(model, KernelTargetSelection.All, PlanTuning.Parse(tuning)).Batches[0].Layers[layer];

    private static ModelSpec Model(params LayerSpec[] layers) => Model([64], layers);

    private static ModelSpec Model(int[] batchSizes, params LayerSpec[] layers) =>
        new("App", "M", "class", EquatableArray<ContainingTypeSpec>.Empty, LossKind.SoftmaxCrossEntropy,
            new EquatableArray<LayerSpec>(layers), new EquatableArray<int>(batchSizes));
}
