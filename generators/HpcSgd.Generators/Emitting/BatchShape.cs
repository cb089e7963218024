using System.Linq;

namespace HpcSgd.Generators.Emitting;

/// <summary>
/// The batch sizes a kernel is emitted for: one declared size, written into the code as a literal so every trip count
/// is a compile-time constant; several declared sizes sharing one body, whose size is the type argument TBatch (a
/// struct per size whose constant the JIT folds, so each size still gets machine code with literal trip counts); or
/// the general path, which takes <c>batchSize</c> at run time.
/// </summary>
internal readonly struct BatchShape
{
    private readonly int[] sizes;

    private BatchShape(int[] sizes) => this.sizes = sizes;

    public static BatchShape Of(Planning.BatchPlan plan) => new(plan.Sizes.ToArray());

    /// <summary>The declared sizes served, ascending; [0] for the general path.</summary>
    public int[] Sizes => sizes;

    public bool IsGeneral => sizes[0] == 0;

    /// <summary>True when several declared sizes share these kernels through the TBatch type argument.</summary>
    public bool IsShared => sizes.Length > 1;

    /// <summary>Method-name suffix: <c>B64</c>, <c>B32_64_128</c> (shared) or <c>General</c>.</summary>
    public string Suffix => IsGeneral ? "General" : "B" + string.Join("_", sizes);

    /// <summary>The batch size as an <c>int</c> expression.</summary>
    public string Count => IsGeneral ? "batchSize" : IsShared ? "TBatch.Size" : sizes[0].ToString();

    /// <summary>Extra parameter in a kernel signature (general path only).</summary>
    public string Parameter => IsGeneral ? ", int batchSize" : "";

    /// <summary>Extra argument in a kernel call (general path only).</summary>
    public string Argument => IsGeneral ? ", batchSize" : "";

    /// <summary>Type parameters of these kernels; a call between them passes the same names on.</summary>
    public string TypeParameters => IsShared ? "<TOps, TVec, TBatch>" : Names.WidthTypeParameters;

    /// <summary>Constraints on <see cref="TypeParameters"/>.</summary>
    public string Constraints => IsShared ? Names.WidthConstraints + " where TBatch : struct, " + Names.Models + "IBatchSize" : Names.WidthConstraints;

    /// <summary>Type arguments of a call from the width dispatch, for the declared <paramref name="size"/>.</summary>
    public string TypeArgumentsFor(int size) => IsShared ? $"<TOps, TVec, {SizeType(size)}>" : Names.WidthTypeParameters;

    /// <summary>The struct that carries a shared size as a type argument.</summary>
    public static string SizeType(int size) => "Batch" + size;

    /// <summary>Words for a doc comment.</summary>
    public string Description => IsGeneral ? "any batch size"
        : IsShared ? string.Join(", ", sizes.Take(sizes.Length - 1)) + " or " + sizes[sizes.Length - 1] + " samples (TBatch.Size)"
        : sizes[0] + " samples";

    /// <summary>The expression batchSize * <paramref name="perSample"/>, folded to a literal when the size is a single declared one.</summary>
    public string Times(int perSample) =>
        !IsGeneral && !IsShared ? ((long)sizes[0] * perSample).ToString()
        : perSample == 0 ? "0" : perSample == 1 ? Count : Count + " * " + perSample;
}
