using System.Runtime.CompilerServices;

namespace HpcSgd.Kernels;

/// <summary>
/// Parameter updates, each one pass over memory with the L2 weight decay fused in (g' = g + weightDecay * p,
/// PyTorch's convention). Every element, whether in a vector register, a scalar tail or a fused kernel's
/// epilogue, goes through <see cref="Step{TOps, TVec}"/> (or <see cref="PlainStep{TOps, TVec}"/>, its arithmetic for
/// plain SGD) with separate multiplies and adds (no FMA, whose rounding would differ between hardware with and without
/// it), so all paths agree bit for bit.
/// The generated <c>Update</c> passes the model's parameter count as a literal.
/// </summary>
public static class UpdateMath
{
    /// <summary>Plain SGD: p = p * (1 - lr * wd) - lr * g over <paramref name="length"/> parameters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sgd<TOps, TVec>(ref float p, ref float g, float learningRate, float weightDecay, int length)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        var rule = new UpdateRule(learningRate, 0f, weightDecay);
        Apply<TOps, TVec>(ref p, ref g, ref p, in rule, length);
    }

    /// <summary>
    /// SGD with momentum: v = mu * v + g'; then p -= lr * v (classic) or p -= lr * (g' + mu * v) (Nesterov).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Momentum<TOps, TVec>(ref float p, ref float g, ref float v, float learningRate, float momentum, float weightDecay, bool nesterov, int length)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        var rule = new UpdateRule(learningRate, momentum, weightDecay, nesterov);
        Apply<TOps, TVec>(ref p, ref g, ref v, in rule, length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Apply<TOps, TVec>(ref float p, ref float g, ref float v, in UpdateRule rule, int length)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        nuint n = (nuint)length;
        nuint i = 0;
        for (; i + (nuint)TOps.Count <= n; i += (nuint)TOps.Count)
        {
            Step<TOps, TVec>(ref p, ref v, i, TOps.Load(ref g, i), in rule);
        }
        for (; i < n; i++)
        {
            Step<ScalarOps, float>(ref p, ref v, i, Unsafe.Add(ref g, i), in rule);
        }
    }

    /// <summary>
    /// One register of parameters at <paramref name="offset"/> takes the step for gradient <paramref name="g"/> under
    /// <paramref name="rule"/>; <paramref name="v"/> (the velocity, same layout) is read and written only with momentum.
    /// The fused weight-gradient kernels call this instead of storing g.
    /// </summary>
    [MethodImpl(Compilation.Inlined)]
    public static void Step<TOps, TVec>(ref float p, ref float v, nuint offset, TVec g, in UpdateRule rule)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        TVec pv = TOps.Load(ref p, offset);
        TVec lr = TOps.Broadcast(rule.LearningRate);
        if (rule.Momentum == 0f)
        {
            TVec keep = TOps.Broadcast(1f - rule.LearningRate * rule.WeightDecay);
            TOps.Store(TOps.Subtract(TOps.Multiply(pv, keep), TOps.Multiply(lr, g)), ref p, offset);
            return;
        }
        TVec mu = TOps.Broadcast(rule.Momentum);
        TVec gv = TOps.Add(g, TOps.Multiply(TOps.Broadcast(rule.WeightDecay), pv));
        TVec vv = TOps.Add(TOps.Multiply(mu, TOps.Load(ref v, offset)), gv);
        TOps.Store(vv, ref v, offset);
        TVec direction = rule.Nesterov ? TOps.Add(gv, TOps.Multiply(mu, vv)) : vv;
        TOps.Store(TOps.Subtract(pv, TOps.Multiply(lr, direction)), ref p, offset);
    }

    /// <summary>
    /// True when <paramref name="rule"/> is plain SGD without weight decay: <see cref="PlainStep{TOps, TVec}"/> then equals
    /// <see cref="Step{TOps, TVec}"/> bit for bit (a fused kernel tests this once per register tile, not once per
    /// register), and a parameter whose gradient is zero stays exactly as it is (so a zero-skipping kernel may skip it;
    /// momentum and weight decay change every parameter).
    /// </summary>
    [MethodImpl(Compilation.Inlined)]
    public static bool IsPlain(in UpdateRule rule) => rule.Momentum == 0f && rule.WeightDecay == 0f;

    /// <summary>
    /// <see cref="Step{TOps, TVec}"/> for a rule that <see cref="IsPlain"/>: p = p - lr * g, since p * (1 - lr * 0) is p
    /// exactly. Free of branches, so a tile's epilogue is straight-line code.
    /// </summary>
    [MethodImpl(Compilation.Inlined)]
    public static void PlainStep<TOps, TVec>(ref float p, nuint offset, TVec g, in UpdateRule rule)
        where TOps : struct, IVectorOps<TVec> where TVec : struct =>
        TOps.Store(TOps.Subtract(TOps.Load(ref p, offset), TOps.Multiply(TOps.Broadcast(rule.LearningRate), g)), ref p, offset);

    /// <summary>The bias step: g[j] = sum over rows of delta[r * width + j] (as DenseMath.ColumnSums adds), then <see cref="Step{TOps, TVec}"/> on p[j].</summary>
    [MethodImpl(Compilation.Inlined)]
    public static void BiasStep<TOps, TVec>(ref float delta, int rows, int width, ref float p, ref float v, in UpdateRule rule)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        nuint j = 0;
        for (; j + (nuint)TOps.Count <= (nuint)width; j += (nuint)TOps.Count)
        {
            TVec sum = TOps.Zero;
            for (nuint r = 0; r < (nuint)rows; r++)
            {
                sum = TOps.Add(sum, TOps.Load(ref delta, r * (nuint)width + j));
            }
            Step<TOps, TVec>(ref p, ref v, j, sum, in rule);
        }
        for (; j < (nuint)width; j++)
        {
            float sum = 0f;
            for (nuint r = 0; r < (nuint)rows; r++)
            {
                sum += Unsafe.Add(ref delta, r * (nuint)width + j);
            }
            Step<ScalarOps, float>(ref p, ref v, j, sum, in rule);
        }
    }
}
