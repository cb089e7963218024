using System.Collections.Generic;
using System.Linq;
using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Planning;

/// <summary>
/// How one matrix product of a kernel is computed: its form, a register tile per <see cref="KernelTarget"/> (in the
/// order of <see cref="KernelTarget.All"/>), the depth block of the broadcast form, and whether the batch-1 kernel skips
/// exact zeros of A (with its own tiles).
/// </summary>
/// <param name="Form">Which operand runs along the vector lanes.</param>
/// <param name="Tiles">One register tile per target, in the order of <see cref="KernelTarget.All"/>.</param>
/// <param name="DepthBlock">Broadcast form: depth steps per block, the same on every target and for every batch size, so
/// specialized and general kernels add partial sums in the same order; 0 in the dot form.</param>
/// <param name="Blocked">True when the depth spans more than one block (partial sums then pass through C).</param>
/// <param name="ZeroSkippingTiles">The tiles of the batch-1 form that skips exact zeros of A, per target; empty when it does not.</param>
internal sealed record ProductPlan(
    ProductForm Form,
    EquatableArray<Tile> Tiles,
    int DepthBlock,
    bool Blocked,
    EquatableArray<Tile> ZeroSkippingTiles)
{
    public bool SkipsZeros => ZeroSkippingTiles.Count > 0;

    /// <summary>True when some target's tile reads A from a packed copy, which the kernel then takes as an argument.</summary>
    public bool PacksA => Tiles.Any(t => t.PacksA);
}

/// <summary>Where a layer's weights live in the parameter buffer: one row per output, or per input.</summary>
internal sealed record LayerLayout(WeightLayoutKind Weights);

/// <summary>The products of one layer in one batch kernel.</summary>
/// <param name="Forward">The layer's outputs.</param>
/// <param name="WeightGradient">The weight gradient, written or added to the gradient buffer.</param>
/// <param name="InputGradient">The previous layer's dL/dz; null for the first layer.</param>
/// <param name="FusedWeightUpdate">The weight gradient ending in the SGD step (the fused backward pass); null where that is not emitted.</param>
internal sealed record LayerPlan(ProductPlan Forward, ProductPlan WeightGradient, ProductPlan? InputGradient, ProductPlan? FusedWeightUpdate);

/// <summary>The kernels of one batch shape, or of several declared sizes whose plans agree in everything but the size.</summary>
/// <param name="Sizes">The declared batch sizes these kernels serve, ascending; [0] for the general path. With more than
/// one, the kernels are emitted once and take the size as a type argument (Models.IBatchSize), which the JIT folds.</param>
/// <param name="FusedUpdate">True when a backward pass that ends in the SGD step is emitted for these sizes.</param>
/// <param name="Layers">Each layer's products, in layer order.</param>
internal sealed record BatchPlan(EquatableArray<int> Sizes, bool FusedUpdate, EquatableArray<LayerPlan> Layers)
{
    public bool IsGeneral => Sizes[0] == 0;

    public bool IsShared => Sizes.Count > 1;
}

/// <summary>
/// Every decision about one model's kernels, made once by <see cref="ModelPlanner"/>: the weight layout of each layer,
/// the fused regression path, and per batch shape the fused update and each product's form, tiles per target, depth
/// block and zero skipping. Emitters write what it says and decide nothing. Plain values only, so it caches.
/// </summary>
/// <param name="Model">The parsed declaration.</param>
/// <param name="Layouts">Each layer's weight layout.</param>
/// <param name="FusedRegression">True when the model trains through the fused single-layer regression kernel.</param>
/// <param name="Batches">The kernels per batch shape.</param>
/// <param name="ByteRowsAhead">When positive, the first layer's forward pass has a variant that reads a batch of byte
/// rows itself (ByteRowBatch), widening them as its tiles go and requesting the lines of the rows this many ahead; 0:
/// byte rows are widened before the step.</param>
internal sealed record ModelPlan(
    ModelSpec Model,
    EquatableArray<LayerLayout> Layouts,
    bool FusedRegression,
    EquatableArray<BatchPlan> Batches,
    int ByteRowsAhead);
