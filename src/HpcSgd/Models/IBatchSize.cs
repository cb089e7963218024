namespace HpcSgd.Models;

/// <summary>
/// A batch size the JIT knows: kernels that several declared batch sizes share take it as a type argument (a struct per
/// size, generated beside the model), and the JIT compiles one copy per size with every trip count a constant.
/// </summary>
public interface IBatchSize
{
    /// <summary>Samples per batch.</summary>
    static abstract int Size { get; }
}
