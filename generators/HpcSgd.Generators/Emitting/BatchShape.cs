namespace HpcSgd.Generators.Emitting;

/// <summary>
/// The batch size a kernel is emitted for: a declared size, written into the code as a literal so every
/// trip count is a compile-time constant, or the general path, which takes <c>batchSize</c> at run time.
/// </summary>
internal readonly struct BatchShape
{
    private readonly int size;

    private BatchShape(int size) => this.size = size;

    public static BatchShape Declared(int size) => new(size);

    public static BatchShape General => new(0);

    public static BatchShape Of(Planning.BatchPlan plan) => new(plan.Size);

    public bool IsGeneral => size == 0;

    /// <summary>The batch of one sample, whose products are matrix-vector products and rank-1 updates.</summary>
    public bool IsSingleSample => size == 1;

    /// <summary>Method-name suffix: <c>B64</c> or <c>General</c>.</summary>
    public string Suffix => IsGeneral ? "General" : "B" + size;

    /// <summary>The batch size as an expression.</summary>
    public string Count => IsGeneral ? "batchSize" : size.ToString();

    /// <summary>Extra parameter in a kernel signature (general path only).</summary>
    public string Parameter => IsGeneral ? ", int batchSize" : "";

    /// <summary>Extra argument in a kernel call (general path only).</summary>
    public string Argument => IsGeneral ? ", batchSize" : "";

    /// <summary>Words for a doc comment.</summary>
    public string Description => IsGeneral ? "any batch size" : size + " samples";

    /// <summary>The expression batchSize * <paramref name="perSample"/>, folded to a literal when the size is declared.</summary>
    public string Times(int perSample) => IsGeneral
        ? (perSample == 0 ? "0" : perSample == 1 ? "batchSize" : "batchSize * " + perSample)
        : ((long)size * perSample).ToString();

    /// <summary>The loop bound over the batch as a <c>nuint</c> expression.</summary>
    public string LoopBound => IsGeneral ? "(nuint)batchSize" : size.ToString();
}
