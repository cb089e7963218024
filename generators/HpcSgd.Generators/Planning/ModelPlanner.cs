using System.Collections.Generic;
using System.Linq;
using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Planning;

/// <summary>
/// The plan stage between parsing and emitting: <see cref="ModelSpec"/> -> <see cref="ModelPlan"/>. Every choice of
/// variant lives here (weight layout, fused regression, fused update, product form, tiles per target, depth blocks, zero
/// skipping); the emitters only write the plan.
/// </summary>
internal static class ModelPlanner
{
    public static ModelPlan Plan(ModelSpec model) => Plan(model, KernelTargetSelection.All);

    /// <summary>The plan with tiles for the <paramref name="targets"/> selected; the others run the first selected target's kernels.</summary>
    public static ModelPlan Plan(ModelSpec model, KernelTargetSelection targets) => Plan(model, targets, PlanTuning.None);

    /// <summary>As <see cref="Plan(ModelSpec, KernelTargetSelection)"/>, with the choices <paramref name="tuning"/> sets made its way.</summary>
    public static ModelPlan Plan(ModelSpec model, KernelTargetSelection targets, PlanTuning tuning)
    {
        var settings = new Settings(targets, tuning);
        WeightLayoutKind[] layouts = model.Layers.Select((layer, l) => ChooseLayout(layer, l, tuning.WeightPanels ?? true)).ToArray();
        bool fusedRegression = IsFusedRegression(model);
        IEnumerable<int> sizes = model.BatchSizes.Append(0);
        BatchPlan[] batches = Share(sizes.Select(size => PlanBatch(model, layouts, size == 0 ? null : size, fusedRegression, settings)));
        int byteRowsAhead = ReadsByteRows(model, layouts, fusedRegression) ? tuning.ByteRowsAhead ?? ByteRowsAhead : 0;
        return new ModelPlan(model, new EquatableArray<LayerLayout>(layouts.Select(l => new LayerLayout(l)).ToArray()), fusedRegression,
            new EquatableArray<BatchPlan>(batches), byteRowsAhead);
    }

    /// <summary>What a plan is made for: the targets that get their own tiles, and the tuning's overrides.</summary>
    private sealed record Settings(KernelTargetSelection Targets, PlanTuning Tuning);

    /// <summary>Inputs per sample from which the runtime keeps byte rows (Dataset.ByteRowMinimumWidth).</summary>
    private const int ByteRowMinimumWidth = 16;

    /// <summary>Rows ahead whose lines a forward pass reading byte rows requests, as the runtime's gather does.</summary>
    private const int ByteRowsAhead = 8;

    /// <summary>
    /// A first layer in dot form reads byte rows itself: each tile widens its rows' next bytes just before the fused
    /// multiply-adds that use them, so the misses of rows at random places overlap arithmetic instead of preceding it
    /// (benchmarks/README.md, issue #13). The broadcast form takes one input at a time and keeps the separate widening.
    /// </summary>
    private static bool ReadsByteRows(ModelSpec model, WeightLayoutKind[] layouts, bool fusedRegression) =>
        !fusedRegression && layouts[0] == WeightLayoutKind.OutputMajor && model.Layers[0].Inputs >= ByteRowMinimumWidth;

    /// <summary>
    /// Declared sizes whose plans agree in everything but the size share one set of kernels, the size a type argument
    /// the JIT folds: the machine code per size is the same as a kernel written for it, the source is written once.
    /// Batch 1 (matrix-vector products, zero skipping) and the general path stay on their own.
    /// </summary>
    private static BatchPlan[] Share(IEnumerable<BatchPlan> plans)
    {
        var result = new List<BatchPlan>();
        foreach (BatchPlan plan in plans)
        {
            int index = plan.Sizes[0] <= 1 ? -1
                : result.FindIndex(r => r.Sizes[0] > 1 && r.FusedUpdate == plan.FusedUpdate && r.Layers.Equals(plan.Layers));
            if (index < 0)
            {
                result.Add(plan);
            }
            else
            {
                result[index] = result[index] with { Sizes = new EquatableArray<int>(result[index].Sizes.Concat(plan.Sizes).OrderBy(s => s).ToArray()) };
            }
        }
        return result.ToArray();
    }

    /// <summary>
    /// Input-major when the outputs fill whole 16-lane vectors: the forward pass then broadcasts inputs against rows of
    /// weights (the BLIS form, no horizontal sums). Otherwise output-major, PyTorch's layout, whose forward pass runs
    /// vectors along the inputs (dot form) and so wastes no lanes on few outputs. The first layer's input-major weights
    /// lie in panels of 16 outputs: only its forward pass and weight gradient read them, both broadcast-form products
    /// whose tiles then read and update one sequential stream per panel instead of a line per input (a copy of each
    /// panel per step, or a weight row per input in place, cost more; benchmarks/README.md, issue #13). Later layers
    /// keep whole rows, which their input gradient reads along the outputs. The same on every target, so a saved model
    /// loads anywhere. <paramref name="panels"/> false (PlanTuning.WeightPanels) keeps whole rows everywhere.
    /// </summary>
    public static WeightLayoutKind ChooseLayout(LayerSpec layer, int index, bool panels = true) =>
        layer.Outputs % WeightLayoutKindExtensions.PanelWidth != 0 ? WeightLayoutKind.OutputMajor
        : index == 0 && panels ? WeightLayoutKind.InputMajorPanels
        : WeightLayoutKind.InputMajor;

    /// <summary>Linear regression (one dense layer, one output, identity, MSE) trains through its fused single-layer kernel.</summary>
    public static bool IsFusedRegression(ModelSpec model) =>
        model.Layers.Count == 1 && model.OutputCount == 1 && model.Loss == LossKind.MeanSquaredError
        && model.Layers[0].Activation == ActivationKind.Identity;

    private static BatchPlan PlanBatch(ModelSpec model, WeightLayoutKind[] layouts, int? batch, bool fusedRegression, Settings settings)
    {
        var layers = new LayerPlan[model.Layers.Count];
        for (int l = 0; l < layers.Length; l++)
        {
            layers[l] = PlanLayer(model, layouts, l, batch, settings);
        }
        // The update can end each weight-gradient tile only when the tile holds the whole batch's sum (one depth block).
        bool fused = !fusedRegression && batch is not null && layers.All(l => !l.WeightGradient.Blocked);
        if (fused)
        {
            for (int l = 0; l < layers.Length; l++)
            {
                layers[l] = layers[l] with { FusedWeightUpdate = WeightGradient(model, layouts, l, batch, fusedUpdate: true, settings) };
            }
        }
        return new BatchPlan(new EquatableArray<int>(new[] { batch ?? 0 }), fused, new EquatableArray<LayerPlan>(layers));
    }

    private static LayerPlan PlanLayer(ModelSpec model, WeightLayoutKind[] layouts, int l, int? batch, Settings settings)
    {
        LayerSpec layer = model.Layers[l];
        bool inputMajor = layouts[l].IsInputMajor();
        // Forward: Z[B x O] = X W, broadcast x against rows of W (input-major), or dot products along the inputs.
        ProductPlan forward = inputMajor
            ? Broadcast(batch, layer.Outputs, layer.Inputs, SkipsZeros(model, layouts, l, batch) ? true : null, settings,
                bInPanels: layouts[l] == WeightLayoutKind.InputMajorPanels)
            : Dot(batch, layer.Outputs, settings.Targets);
        // dL/dz of the previous layer, inputDelta[B x I] = delta W^T: along the outputs (input-major) or broadcast delta.
        ProductPlan? inputGradient = l == 0 ? null
            : inputMajor ? Dot(batch, layer.Inputs, settings.Targets) : Broadcast(batch, layer.Inputs, layer.Outputs, null, settings);
        return new LayerPlan(forward, WeightGradient(model, layouts, l, batch, fusedUpdate: false, settings), inputGradient, null);
    }

    /// <summary>dW = x^T delta (input-major, [I x O]) or delta^T x (output-major, [O x I]): depth over the batch.</summary>
    private static ProductPlan WeightGradient(ModelSpec model, WeightLayoutKind[] layouts, int l, int? batch, bool fusedUpdate, Settings settings)
    {
        LayerSpec layer = model.Layers[l];
        bool inputMajor = layouts[l].IsInputMajor();
        // The plain backward pass may add to C; only the fused update, whose step needs a zero-gradient row to keep its
        // parameters, skips the rows of zero inputs.
        bool? skip = fusedUpdate && SkipsZeros(model, layouts, l, batch) ? false : null;
        return inputMajor
            ? Broadcast(layer.Inputs, layer.Outputs, batch, skip, settings, depthIsBatch: true, aDepthStride: layer.Inputs)
            : Broadcast(layer.Outputs, layer.Inputs, batch, skip, settings, depthIsBatch: true, aDepthStride: layer.Outputs);
    }

    /// <summary>
    /// Batch-1 kernels skip exact zeros of an input-major layer's input: with one sample the forward pass is y = x W (a
    /// weight row per input) and the weight gradient the rank-1 x^T delta, so a zero input adds nothing to y and has an
    /// all-zero gradient row. The model's input and ReLU outputs hold exact zeros (Fashion-MNIST: half its pixels).
    /// </summary>
    private static bool SkipsZeros(ModelSpec model, WeightLayoutKind[] layouts, int l, int? batch) =>
        batch == 1
        && layouts[l].IsInputMajor()
        && (l == 0 || model.Layers[l - 1].Activation == ActivationKind.ReLU);

    /// <summary>
    /// A broadcast-form product C[rows x columns] over <paramref name="depth"/>; <paramref name="skipAlongDepth"/> says
    /// whether (and along what) zeros of A are skipped. Whether a target packs B is judged on the deepest panel: a full
    /// block when the depth is the batch (so every batch size of the product plans alike), else the depth.
    /// <paramref name="aDepthStride"/>: where A is read across its rows (a weight gradient's x^T or delta^T), the floats
    /// between its depth steps.
    /// </summary>
    private static ProductPlan Broadcast(int? rows, int columns, int? depth, bool? skipAlongDepth, Settings settings, bool depthIsBatch = false, int? aDepthStride = null, bool bInPanels = false)
    {
        int block = TilePlanner.DepthBlock(columns);
        int panelDepth = depthIsBatch || depth is not int d ? block : System.Math.Min(d, block);
        KernelTargetSelection targets = settings.Targets;
        Tile[] tiles = targets.Apply(TilePlanner.WithPacking(KernelTarget.All.Select(t => Tuned(TilePlanner.Broadcast(rows, columns, t), t, settings.Tuning)).ToArray(), rows, columns, panelDepth, aDepthStride, settings.Tuning, bInPanels));
        Tile[] skipping = skipAlongDepth is bool alongDepth
            ? targets.Apply(KernelTarget.All.Select(t => TilePlanner.ZeroSkipping(alongDepth, columns, t)).ToArray())
            : System.Array.Empty<Tile>();
        return new ProductPlan(ProductForm.Broadcast, new EquatableArray<Tile>(tiles), block, depth is not int k || k > block, new EquatableArray<Tile>(skipping));
    }

    /// <summary>The tuning's tile in place of the planner's full-size broadcast tile on a 16-register target.</summary>
    private static Tile Tuned(Tile planned, KernelTarget target, PlanTuning tuning) =>
        tuning.NarrowTile is Tile tile && target.Registers < 32 && planned.Rows >= tile.Rows && planned.LoadsBFirst ? tile : planned;

    private static ProductPlan Dot(int? rows, int columns, KernelTargetSelection targets) =>
        new(ProductForm.Dot, new EquatableArray<Tile>(targets.Apply(KernelTarget.All.Select(t => TilePlanner.Dot(rows, columns, t)).ToArray())), 0, false, EquatableArray<Tile>.Empty);
}
