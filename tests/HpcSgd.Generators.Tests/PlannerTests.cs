using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Tests;

/// <summary>The plan stage: tiles fit each target's registers; decisions that fix numerics do not depend on the target.</summary>
public class PlannerTests
{
    private static readonly int?[] RowCounts = [null, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 20, 64, 784];

    [Fact]
    public void EveryTile_FitsItsTargetsRegisters_WithOneToSpare()
    {
        foreach (KernelTarget target in KernelTarget.All)
        {
            foreach (int? rows in RowCounts)
            {
                for (int columns = 1; columns <= 300; columns++)
                {
                    Tile broadcast = TilePlanner.Broadcast(rows, columns, target);
                    Tile dot = TilePlanner.Dot(rows, columns, target);
                    Assert.True(broadcast.Registers <= target.Registers - 1, $"{target.Name}, broadcast {rows} x {columns}: {broadcast} needs {broadcast.Registers}");
                    Assert.True(dot.Registers <= target.Registers - 1, $"{target.Name}, dot {rows} x {columns}: {dot} needs {dot.Registers}");
                    Assert.True(broadcast.Rows >= 1 && broadcast.Columns >= 1 && dot.Rows >= 1 && dot.Columns >= 1);
                    Assert.True(dot.Columns <= columns, $"{target.Name}, dot {rows} x {columns}: {dot} has more columns than C");
                    Assert.True(rows is not int m || (broadcast.Rows <= m && dot.Rows <= m), $"{target.Name}: a tile taller than C");
                    foreach (bool alongDepth in new[] { true, false })
                    {
                        Tile skipping = TilePlanner.ZeroSkipping(alongDepth, columns, target);
                        // A rank-1 update keeps B's row and the accumulators live through the whole loop.
                        int live = alongDepth ? skipping.Registers : 2 * skipping.Columns + 1;
                        Assert.True(live <= target.Registers - 1, $"{target.Name}, zero skipping {columns}: {skipping} needs {live}");
                    }
                }
            }
        }
    }

    [Fact]
    public void SixteenRegisterTargets_TakeBlisHaswellTile_ThirtyTwo_TheMeasuredAvx512One()
    {
        Assert.Equal(new Tile(6, 2, LoadsBFirst: true), TilePlanner.Broadcast(null, 128, KernelTarget.Avx2));
        Assert.Equal(new Tile(6, 2, LoadsBFirst: true), TilePlanner.Broadcast(null, 128, KernelTarget.X64Vector128));
        Assert.Equal(new Tile(8, 2, LoadsBFirst: false), TilePlanner.Broadcast(null, 128, KernelTarget.Avx512));
        Assert.Equal(new Tile(8, 2, LoadsBFirst: false), TilePlanner.Broadcast(null, 128, KernelTarget.AdvSimd));
        Assert.Equal(new Tile(2, 10, LoadsBFirst: false), TilePlanner.Dot(null, 10, KernelTarget.Avx512));
        Assert.Equal(new Tile(2, 5, LoadsBFirst: false), TilePlanner.Dot(null, 10, KernelTarget.Avx2));
    }

    [Fact]
    public void KnownRowCounts_SplitIntoEqualStrips_WhenNoMoreStripsAreNeeded()
    {
        // Ten classes: 5 + 5 rows instead of 8 + 2 (32 registers) or 6 + 4 (16), the same number of passes over B.
        Assert.Equal(new Tile(5, 2, LoadsBFirst: false), TilePlanner.Broadcast(10, 784, KernelTarget.Avx512));
        Assert.Equal(new Tile(5, 2, LoadsBFirst: true), TilePlanner.Broadcast(10, 784, KernelTarget.Avx2));
        // 13 rows would need 7 + 6 (or 3 strips of uneven size), 128 divides by 8, 9 needs 8 + 1 or 3 x 3: unchanged.
        Assert.Equal(8, TilePlanner.Broadcast(13, 784, KernelTarget.Avx512).Rows);
        Assert.Equal(8, TilePlanner.Broadcast(9, 784, KernelTarget.Avx512).Rows);
        Assert.Equal(8, TilePlanner.Broadcast(128, 784, KernelTarget.Avx512).Rows);
        Assert.Equal(6, TilePlanner.Broadcast(12, 784, KernelTarget.Avx2).Rows);
        // 20 rows on 16 registers: 4 strips of 5 instead of 6 + 6 + 6 + 2.
        Assert.Equal(5, TilePlanner.Broadcast(20, 784, KernelTarget.Avx2).Rows);
    }

    [Fact]
    public void PanelsOfB_ArePacked_WhereTheirRowsCrowdFewCacheSets_AndTheCopyFitsBesideA()
    {
        Tile narrow = TilePlanner.Broadcast(64, 128, KernelTarget.Avx2), wide = TilePlanner.Broadcast(64, 128, KernelTarget.Avx512);
        // Rows 128 floats apart share a few sets; with half the ways left for A, deeper panels evict themselves.
        Assert.True(TilePlanner.PacksB(64, 128, 256, narrow, 8));
        Assert.True(TilePlanner.PacksB(null, 128, 33, narrow, 8));
        Assert.False(TilePlanner.PacksB(64, 128, 32, narrow, 8));
        // The wide tile's full-depth copy would fill L1: left in place; a shallow one is packed.
        Assert.False(TilePlanner.PacksB(64, 128, 256, wide, 16));
        Assert.True(TilePlanner.PacksB(64, 128, 64, wide, 16));
        // A stride of an odd number of lines reaches every set: a full block fits.
        Assert.False(TilePlanner.PacksB(64, 784, 256, narrow, 8));
        // A stride of a whole way: every row in one set.
        Assert.True(TilePlanner.PacksB(64, 1024, 8, narrow, 8));
        // Rows that are not whole cache lines apart spread over the sets by themselves.
        Assert.False(TilePlanner.PacksB(64, 10, 256, narrow, 8));
        // One row strip reads each panel once: nothing to gain.
        Assert.False(TilePlanner.PacksB(4, 128, 256, TilePlanner.Broadcast(4, 128, KernelTarget.Avx2), 8));
        // Targets that share a tile pack alike, as the first (widest) of them: AdvSimd follows AVX-512, 128-bit x64 and scalar follow AVX2.
        Tile[] tiles = TilePlanner.WithPacking(KernelTarget.All.Select(t => TilePlanner.Broadcast(64, 128, t)).ToArray(), 64, 128, 256, null);
        Assert.Equal([false, true, false, true, true], tiles.Select(t => t.PacksB));
    }

    [Fact]
    public void AReadAcrossItsRows_IsPackedInStrips_On16Registers_WhereSeveralColumnPanelsReadIt()
    {
        Tile narrow = TilePlanner.Broadcast(784, 128, KernelTarget.Avx2), wide = TilePlanner.Broadcast(784, 128, KernelTarget.Avx512);
        // W4's first weight gradient, x^T: depth steps a row of x apart, and every AVX2 column panel reads every strip.
        Assert.True(TilePlanner.PacksA(784, 128, narrow, KernelTarget.Avx2));
        // A read along its rows, or depth steps within one cache line (W3's delta^T): read in place.
        Assert.False(TilePlanner.PacksA(null, 128, narrow, KernelTarget.Avx2));
        Assert.False(TilePlanner.PacksA(10, 128, narrow, KernelTarget.Avx2));
        // One column panel reads each strip once.
        Assert.False(TilePlanner.PacksA(784, 16, TilePlanner.Broadcast(784, 16, KernelTarget.Avx2), KernelTarget.Avx2));
        // 32 registers read A in place.
        Assert.False(TilePlanner.PacksA(784, 128, wide, KernelTarget.Avx512));
        Tile[] tiles = TilePlanner.WithPacking(KernelTarget.All.Select(t => TilePlanner.Broadcast(784, 128, t)).ToArray(), 784, 128, 256, 784);
        Assert.Equal([false, true, false, true, true], tiles.Select(t => t.PacksA));
    }

    [Fact]
    public void PackedA_IsInTheWorkspace_AsWideAsTheWidestPackedGradientRows()
    {
        var model = new ModelSpec("App", "Mlp", "class", EquatableArray<ContainingTypeSpec>.Empty, LossKind.SoftmaxCrossEntropy,
            new EquatableArray<LayerSpec>(new[] { new LayerSpec(784, 128, ActivationKind.ReLU), new LayerSpec(128, 10, ActivationKind.Identity) }),
            new EquatableArray<int>(new[] { 64 }));
        ModelPlan plan = ModelPlanner.Plan(model);
        Assert.All(plan.Batches, b => Assert.True(b.Layers[0].WeightGradient.PacksA));
        Assert.All(plan.Batches, b => Assert.False(b.Layers[1].WeightGradient.PacksA));
        var layout = new HpcSgd.Generators.Emitting.ModelLayout(plan);
        // Hidden 128 + logits 10 + hidden delta 128, then x^T's 784 rows per sample.
        Assert.Equal(128 + 10 + 128, layout.PackedOffset);
        Assert.Equal(128 + 10 + 128 + 784, layout.WorkspacePerSample);
    }

    [Theory]
    [InlineData("Avx2")]
    [InlineData("Avx512")]
    [InlineData("AdvSimd")]
    public void SelectedTarget_KeepsItsTiles_AndLendsThemToEveryOtherTarget(string id)
    {
        var model = new ModelSpec("App", "Mlp", "class", EquatableArray<ContainingTypeSpec>.Empty, LossKind.SoftmaxCrossEntropy,
            new EquatableArray<LayerSpec>(new[] { new LayerSpec(30, 16, ActivationKind.ReLU), new LayerSpec(16, 10, ActivationKind.Identity) }),
            new EquatableArray<int>(new[] { 64 }));
        ModelPlan full = ModelPlanner.Plan(model);
        ModelPlan selected = ModelPlanner.Plan(model, KernelTargetSelection.Parse(id.ToLowerInvariant()));
        int index = KernelTarget.All.ToList().FindIndex(t => t.Id == id);
        IEnumerable<ProductPlan> Products(ModelPlan plan) => plan.Batches.SelectMany(b => b.Layers).SelectMany(l =>
            new[] { l.Forward, l.WeightGradient, l.InputGradient, l.FusedWeightUpdate }.OfType<ProductPlan>());
        Assert.Equal(full.Batches.Select(b => b.Sizes), selected.Batches.Select(b => b.Sizes));
        var pairs = Products(full).Zip(Products(selected)).ToList();
        Assert.Equal(Products(full).Count(), pairs.Count);
        foreach ((ProductPlan all, ProductPlan one) in pairs)
        {
            Assert.Equal(all.Tiles[index], one.Tiles[index]);
            Assert.All(one.Tiles, tile => Assert.Equal(all.Tiles[index], tile));
            Assert.Equal(all.DepthBlock, one.DepthBlock);
        }
    }

    [Fact]
    public void DepthBlocksAndFusion_AreTheSameOnEveryTarget_AndForEveryBatchSizeOfAProduct()
    {
        var model = new ModelSpec("App", "Mlp", "class", EquatableArray<ContainingTypeSpec>.Empty, LossKind.SoftmaxCrossEntropy,
            new EquatableArray<LayerSpec>(new[] { new LayerSpec(784, 128, ActivationKind.ReLU), new LayerSpec(128, 10, ActivationKind.Identity) }),
            new EquatableArray<int>(new[] { 1, 64, 256, 512 }));
        ModelPlan plan = ModelPlanner.Plan(model);

        // 64 and 256 plan alike (one depth block, same tiles), so they share kernels; 512 needs depth blocks.
        Assert.Equal(["1", "64 256", "512", "0"], plan.Batches.Select(b => string.Join(" ", b.Sizes)));
        Assert.True(plan.Batches[1].IsShared);
        // A fused update needs the whole batch in one depth block of 256.
        Assert.Equal([true, true, false, false], plan.Batches.Select(b => b.FusedUpdate));
        foreach (int layer in new[] { 0, 1 })
        {
            Assert.Single(plan.Batches.Select(b => b.Layers[layer].Forward.DepthBlock).Distinct());
            Assert.Single(plan.Batches.Select(b => b.Layers[layer].WeightGradient.DepthBlock).Distinct());
        }
        // Zero skipping: batch 1 only, the input-major layer reading the model's input.
        Assert.True(plan.Batches[0].Layers[0].Forward.SkipsZeros);
        Assert.True(plan.Batches[0].Layers[0].FusedWeightUpdate!.SkipsZeros);
        Assert.False(plan.Batches[0].Layers[0].WeightGradient.SkipsZeros);
        Assert.False(plan.Batches[1].Layers[0].Forward.SkipsZeros);
        Assert.Equal(ProductForm.Dot, plan.Batches[1].Layers[1].Forward.Form);
        Assert.Equal(ProductForm.Broadcast, plan.Batches[1].Layers[0].Forward.Form);
        // Packing follows the stride and a full block, not the batch size: every size of a product packs alike (AVX2 here).
        // The first layer's weights lie in panels already, so its forward pass copies none.
        int avx2 = KernelTarget.All.ToList().IndexOf(KernelTarget.Avx2);
        Assert.All(plan.Batches.Skip(1), b => Assert.True(!b.Layers[0].Forward.Tiles[avx2].PacksB && b.Layers[0].WeightGradient.Tiles[avx2].PacksB));
        Assert.All(plan.Batches.Skip(1), b => Assert.False(b.Layers[1].InputGradient!.Tiles[avx2].PacksB));
        Assert.Equal(plan, ModelPlanner.Plan(model));
    }

    [Theory]
    [InlineData(784, 10, "softmax", 8)] // W3: dot form, reads its byte rows itself
    [InlineData(16, 3, "mse", 8)] // the narrowest rows the runtime keeps as bytes
    [InlineData(15, 3, "mse", 0)] // narrower: no byte rows to read
    [InlineData(784, 128, "softmax", 0)] // broadcast form: the rows are widened before the step
    [InlineData(784, 1, "mse", 0)] // linear regression: its own fused kernel
    [InlineData(784, 1, "bce", 8)]
    public void FirstLayersInDotForm_ReadByteRows(int inputs, int outputs, string loss, int rowsAhead)
    {
        LossKind kind = loss switch { "mse" => LossKind.MeanSquaredError, "bce" => LossKind.BinaryCrossEntropy, _ => LossKind.SoftmaxCrossEntropy };
        var model = new ModelSpec("App", "M", "class", EquatableArray<ContainingTypeSpec>.Empty, kind,
            new EquatableArray<LayerSpec>(new[] { new LayerSpec(inputs, outputs, ActivationKind.Identity) }), new EquatableArray<int>(new[] { 64 }));
        Assert.Equal(rowsAhead, ModelPlanner.Plan(model).ByteRowsAhead);
    }
}
