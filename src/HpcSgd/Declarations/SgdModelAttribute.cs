namespace HpcSgd;

/// <summary>
/// Declares a model trained by mini-batch SGD. Put it on a non-generic <c>partial</c> class or struct
/// together with one <see cref="DenseAttribute"/> per layer, in order from input to output. The HpcSgd
/// source generator then emits kernels specialized to the layer shapes and to each of
/// <see cref="BatchSizes"/>, plus a general path for any other batch size.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class SgdModelAttribute : Attribute
{
    /// <summary>
    /// Says in the user's own build that the generator is missing. The generator's assembly carries a suppressor that
    /// silences it wherever the generator runs, so this warning reaches only builds that would otherwise fail with a
    /// bare CS0311 ("no implicit reference conversion to ISgdModel").
    /// </summary>
    internal const string GeneratorMissing =
        "HpcSgd's source generator is not running in this project, so [SgdModel] types get no kernels (the CS0311 errors about " +
        "ISgdModel<T> that follow come from that). Reference the HpcSgd package, or, when referencing src/HpcSgd by path, " +
        "also reference the generator: <ProjectReference Include=\".../generators/HpcSgd.Generators/HpcSgd.Generators.csproj\" " +
        "OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" />";

    /// <summary>Declares the model's loss.</summary>
    [Obsolete(GeneratorMissing, DiagnosticId = "HPCSGD017")]
    public SgdModelAttribute(Loss loss) => Loss = loss;

    /// <summary>The loss after the last layer.</summary>
    public Loss Loss { get; }

    /// <summary>Batch sizes that get kernels with compile-time trip counts; each must be positive and unique.</summary>
    public int[] BatchSizes { get; set; } = [];
}
