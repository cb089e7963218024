using System.Collections.Generic;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>
/// A loop extent: a literal when the generator knows it; a size the JIT knows (TBatch.Size of shared kernels, one of
/// <see cref="Candidates"/>); else the run-time batch size.
/// </summary>
internal readonly struct Extent
{
    private Extent(int? value, string expression, int[]? candidates)
    {
        Value = value;
        Expression = expression;
        Candidates = candidates;
    }

    /// <summary>The extent when known at generation time.</summary>
    public int? Value { get; }

    /// <summary>The extent as a <c>nuint</c> expression.</summary>
    public string Expression { get; }

    /// <summary>Shared kernels: the sizes the expression takes, one per instantiation (a constant to the JIT in each).</summary>
    public int[]? Candidates { get; }

    public static Extent Of(int value) => new(value, value.ToString(), null);

    public static Extent Of(BatchShape batch) =>
        batch.IsGeneral ? new(null, "(nuint)batchSize", null)
        : batch.IsShared ? new(null, "(nuint)" + batch.Count, batch.Sizes)
        : Of(batch.Sizes[0]);
}

/// <summary>What a product does with each finished element c of its result before storing it.</summary>
internal enum EpilogueKind
{
    /// <summary>Store c.</summary>
    Store,

    /// <summary>Store f(c + bias[n]) (forward pass).</summary>
    BiasActivation,

    /// <summary>Store c * f'(a) with a at the same position of <see cref="MatrixProduct.Activations"/> (backward pass into the previous layer).</summary>
    BackPropagate,

    /// <summary>C holds parameters and c their gradient: take the SGD step (UpdateMath.Step) instead of storing c.</summary>
    Update,
}

/// <summary>
/// One matrix product C[M x N] = sum over K of A(m, k) * B(k, n), as a kernel computes it, every stride a literal,
/// with the <see cref="ProductPlan"/> that says how. C(m, n) is at C[m * Ldc + n], or in panels (<see cref="CInPanels"/>).
/// Operand access depends on the planned form (see <see cref="BroadcastProductWriter"/> and <see cref="DotProductWriter"/>).
/// </summary>
internal sealed class MatrixProduct
{
    public MatrixProduct(ProductPlan plan, string description, Extent m, int n, Extent k, string c, int ldc, string a, int aRowStride, int aDepthStride, string b, int bStride)
    {
        Plan = plan;
        Description = description;
        M = m;
        N = n;
        K = k;
        C = c;
        Ldc = ldc;
        A = a;
        ARowStride = aRowStride;
        ADepthStride = aDepthStride;
        B = b;
        BStride = bStride;
    }

    public ProductPlan Plan { get; }

    public string Description { get; }

    public Extent M { get; }

    public int N { get; }

    public Extent K { get; }

    public string C { get; }

    public int Ldc { get; }

    public string A { get; }

    /// <summary>Distance between A(m, k) and A(m + 1, k).</summary>
    public int ARowStride { get; }

    /// <summary>Distance between A(m, k) and A(m, k + 1).</summary>
    public int ADepthStride { get; }

    public string B { get; }

    /// <summary>Broadcast form: distance between rows B(k, .) and B(k + 1, .). Dot form: between rows B(n, .) and B(n + 1, .).</summary>
    public int BStride { get; }

    /// <summary>
    /// Broadcast form: B is a first layer's weights in panels of <see cref="PanelWidth"/> columns
    /// (WeightLayoutKind.InputMajorPanels): B(k, n) at (n - n mod 16) * K + k * 16 + n mod 16, so one panel's rows are adjacent.
    /// </summary>
    public bool BInPanels { get; private set; }

    /// <summary>C is a first layer's weights (or their gradient) in panels: C(m, n) at (n - n mod 16) * M + m * 16 + n mod 16.</summary>
    public bool CInPanels { get; private set; }

    public const int PanelWidth = WeightLayoutKindExtensions.PanelWidth;

    /// <summary>Broadcast form: the offset of B(0, <paramref name="column"/>), a nuint expression.</summary>
    public string BColumn(string column) => BInPanels ? InPanels(column, K.Value) : column;

    /// <summary>Broadcast form: floats between B(k, n) and B(k + 1, n).</summary>
    public int BRowStride => BInPanels ? PanelWidth : BStride;

    /// <summary>The offset of C(<paramref name="row"/>, <paramref name="column"/>), a nuint expression.</summary>
    public string COffset(string row, string column) =>
        CInPanels ? $"{InPanels(column, M.Value)} + ({row}) * {PanelWidth}" : $"({row}) * {Ldc} + {column}";

    /// <summary>
    /// The offset of C(<paramref name="row"/>, n + vector <paramref name="vector"/>) for a tile of <paramref name="vectors"/>
    /// vectors at column n; in panels a tile that stays aligned (<see cref="StaysAligned"/>) adds the locals
    /// <see cref="PanelOffsetDeclarations"/> declares.
    /// </summary>
    public string COffset(string row, Lanes lanes, int vectors, int vector) =>
        CInPanels && StaysAligned(vectors)
            ? $"{PanelColumnLocal}{(vector == 0 ? "" : $" + {PanelVectorLocal}{vector}")} + ({row}) * {PanelWidth}"
            : COffset(row, $"n + {lanes.Offset(0, vector)}");

    /// <summary>
    /// Whether every vector of a tile of <paramref name="vectors"/> vectors lies at a fixed distance from the tile's first
    /// column in panels of 16, on every lane count (1, 4, 8, 16): 1, 2 or 4 vectors either fit one panel from a column a
    /// multiple of their width, or fill whole panels. Three vectors of 8 floats may start in the middle of a panel.
    /// </summary>
    public static bool StaysAligned(int vectors) => (vectors & (vectors - 1)) == 0;

    /// <summary>Broadcast form: the offset of B(0, n), with B in panels the local <see cref="PanelOffsetDeclarations"/> declares.</summary>
    public string BColumnOfTile => BInPanels ? PanelColumnLocal : "n";

    /// <summary>Broadcast form, B in panels, an aligned tile: vector <paramref name="vector"/> from the tile's first column.</summary>
    public static string BVectorOffset(int vector) => vector == 0 ? "(nuint)0" : PanelVectorLocal + vector;

    /// <summary>
    /// With an operand in panels, the locals a column loop declares before its tiles: where column n lies and, for an
    /// aligned tile of <paramref name="vectors"/> vectors, each further vector's distance from it. Kept out of the
    /// offsets themselves so the kernels stay small (the JIT's inlining budget counts IL bytes).
    /// </summary>
    public IEnumerable<string> PanelOffsetDeclarations(Lanes lanes, int vectors)
    {
        if (!BInPanels && !CInPanels)
        {
            yield break;
        }
        int? rows = BInPanels ? K.Value : M.Value;
        yield return $"nuint {PanelColumnLocal} = {InPanels("n", rows)};";
        for (int j = 1; j < vectors && StaysAligned(vectors); j++)
        {
            yield return $"nuint {PanelVectorLocal}{j} = {PanelVectorOffset(lanes, j, rows)};";
        }
    }

    private const string PanelColumnLocal = "panelColumn", PanelVectorLocal = "panelVector";

    private static string PanelVectorOffset(Lanes lanes, int vector, int? rows) =>
        lanes.Width == "1" ? $"(nuint){vector}"
        : $"(({vector} * {lanes.Width}) & ~(nuint){PanelWidth - 1}) * {rows ?? throw new System.InvalidOperationException("Panels need a known extent.")} + (({vector} * {lanes.Width}) & {PanelWidth - 1})";

    /// <summary>Where column <paramref name="column"/>'s panel starts, plus the column's place in it; panels hold <paramref name="rows"/> rows.</summary>
    private static string InPanels(string column, int? rows) =>
        $"(({column}) & ~(nuint){PanelWidth - 1}) * {rows ?? throw new System.InvalidOperationException("Panels need a known extent.")} + (({column}) & {PanelWidth - 1})";

    public MatrixProduct WithBInPanels()
    {
        BInPanels = true;
        return this;
    }

    public MatrixProduct WithCInPanels()
    {
        CInPanels = true;
        return this;
    }

    public EpilogueKind Epilogue { get; private set; }

    public ActivationKind Activation { get; private set; }

    /// <summary>The bias vector (<see cref="EpilogueKind.BiasActivation"/>).</summary>
    public string? Bias { get; private set; }

    /// <summary>The activations a laid out like C (<see cref="EpilogueKind.BackPropagate"/>).</summary>
    public string? Activations { get; private set; }

    /// <summary>The momentum buffer laid out like C (<see cref="EpilogueKind.Update"/>).</summary>
    public string? Velocity { get; private set; }

    /// <summary>
    /// A bool the kernel receives: when true, a <see cref="EpilogueKind.Store"/> product adds c to what C holds
    /// (summing the gradients of a large batch's chunks in place) instead of overwriting it.
    /// </summary>
    public string? AddToCFlag { get; private set; }

    /// <summary>
    /// The method holding the zero-skipping form, which the product's caller also writes, when the plan skips zeros of A:
    /// a matrix-vector product (M = 1) or a rank-1 update (K = 1) then visits only the depth steps, or rows, whose
    /// element of A is nonzero.
    /// </summary>
    public string? ZeroSkippingKernel { get; private set; }

    /// <summary>
    /// Dot form: the table of byte rows A is widened from (A(m, .) is row <see cref="ByteRowIndices"/>[m] of it, each
    /// byte times ByteRowBatch.Scale), written into A as the first column tile reads it; null when A is read as floats.
    /// </summary>
    public string? ByteSource { get; private set; }

    /// <summary>The batch's row indices into <see cref="ByteSource"/>.</summary>
    public string? ByteRowIndices { get; private set; }

    /// <summary>Rows ahead whose lines a strip reading byte rows requests as it goes.</summary>
    public int ByteRowsAhead { get; private set; }

    public MatrixProduct ReadingByteRows(string source, string rows, int ahead)
    {
        ByteSource = source;
        ByteRowIndices = rows;
        ByteRowsAhead = ahead;
        return this;
    }

    /// <summary>Names the zero-skipping method (used only where the plan skips zeros).</summary>
    public MatrixProduct WithZeroSkippingKernel(string kernel)
    {
        ZeroSkippingKernel = Plan.SkipsZeros ? kernel : null;
        return this;
    }

    /// <summary>The buffer a tile that packs A (<see cref="Planning.Tile.PacksA"/>) copies it into, rows x depth floats; null when no tile of the plan packs.</summary>
    public string? PackedA { get; private set; }

    /// <summary>Names the buffer for A's packed copy (used only where the plan packs A).</summary>
    public MatrixProduct PackingAInto(string buffer)
    {
        PackedA = Plan.PacksA ? buffer : null;
        return this;
    }

    public MatrixProduct AddingToCWhen(string flag)
    {
        AddToCFlag = flag;
        return this;
    }

    public MatrixProduct WithUpdate(string velocity)
    {
        Epilogue = EpilogueKind.Update;
        Velocity = velocity;
        return this;
    }

    public MatrixProduct WithBiasActivation(string bias, ActivationKind activation)
    {
        Epilogue = EpilogueKind.BiasActivation;
        Bias = bias;
        Activation = activation;
        return this;
    }

    public MatrixProduct WithBackPropagation(string activations, ActivationKind activation)
    {
        Epilogue = EpilogueKind.BackPropagate;
        Activations = activations;
        Activation = activation;
        return this;
    }

    /// <summary>True when the activation is a few vector instructions fused into the store; tanh and sigmoid take a pass afterwards.</summary>
    public static bool Fuses(ActivationKind activation) =>
        activation is ActivationKind.Identity or ActivationKind.ReLU or ActivationKind.LeakyReLU;
}
