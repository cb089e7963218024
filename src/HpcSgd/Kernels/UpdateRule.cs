using System.Runtime.CompilerServices;

namespace HpcSgd.Kernels;

/// <summary>
/// One SGD step's hyper-parameters. With g' = g + <see cref="WeightDecay"/> * p:
/// plain SGD (momentum 0): p -= lr * g';
/// classic momentum: v = mu * v + g', p -= lr * v;
/// Nesterov: v = mu * v + g', p -= lr * (g' + mu * v) — the conventions of torch.optim.SGD.
/// </summary>
/// <param name="LearningRate">lr, finite and positive.</param>
/// <param name="Momentum">mu in [0, 1).</param>
/// <param name="WeightDecay">L2 coefficient, finite and non-negative.</param>
/// <param name="Nesterov">Use Nesterov momentum (needs a momentum above 0).</param>
public readonly record struct UpdateRule(float LearningRate, float Momentum = 0f, float WeightDecay = 0f, bool Nesterov = false)
{
    // Read inside the kernels' update epilogues: inlined there, or else compiled optimized once (see Compilation).

    /// <summary>lr, finite and positive.</summary>
    public float LearningRate
    {
        [MethodImpl(Compilation.Inlined)]
        get;
        init;
    } = LearningRate;

    /// <summary>mu in [0, 1).</summary>
    public float Momentum
    {
        [MethodImpl(Compilation.Inlined)]
        get;
        init;
    } = Momentum;

    /// <summary>L2 coefficient, finite and non-negative.</summary>
    public float WeightDecay
    {
        [MethodImpl(Compilation.Inlined)]
        get;
        init;
    } = WeightDecay;

    /// <summary>Use Nesterov momentum (needs a momentum above 0).</summary>
    public bool Nesterov
    {
        [MethodImpl(Compilation.Inlined)]
        get;
        init;
    } = Nesterov;
}
