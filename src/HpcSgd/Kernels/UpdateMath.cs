using System.Runtime.CompilerServices;

namespace HpcSgd.Kernels;

/// <summary>
/// Parameter updates, each one pass over memory with the L2 weight decay fused in
/// (g' = g + weightDecay * p, PyTorch's convention). The generated <c>Update</c> passes the model's
/// parameter count as a literal.
/// </summary>
public static class UpdateMath
{
    /// <summary>Plain SGD: p -= lr * (g + wd * p), computed as p = p * (1 - lr * wd) - lr * g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Sgd<TOps, TVec>(ref float p, ref float g, float learningRate, float weightDecay, int length)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        nuint n = (nuint)length;
        nuint width = (nuint)TOps.Count;
        float keep = 1f - learningRate * weightDecay;
        TVec keepV = TOps.Broadcast(keep);
        TVec stepV = TOps.Broadcast(-learningRate);
        nuint i = 0;
        for (; i + width <= n; i += width)
        {
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref g, i), stepV, TOps.Multiply(TOps.Load(ref p, i), keepV)), ref p, i);
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref p, i) = Unsafe.Add(ref p, i) * keep - learningRate * Unsafe.Add(ref g, i);
        }
    }

    /// <summary>
    /// SGD with momentum: v = mu * v + g'; then p -= lr * v (classic) or p -= lr * (g' + mu * v) (Nesterov).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Momentum<TOps, TVec>(ref float p, ref float g, ref float v, float learningRate, float momentum, float weightDecay, bool nesterov, int length)
        where TOps : struct, IVectorOps<TVec> where TVec : struct
    {
        nuint n = (nuint)length;
        nuint width = (nuint)TOps.Count;
        TVec muV = TOps.Broadcast(momentum);
        TVec wdV = TOps.Broadcast(weightDecay);
        TVec stepV = TOps.Broadcast(-learningRate);
        nuint i = 0;
        if (nesterov)
        {
            for (; i + width <= n; i += width)
            {
                TVec pv = TOps.Load(ref p, i);
                TVec gv = TOps.MultiplyAdd(pv, wdV, TOps.Load(ref g, i));
                TVec vv = TOps.MultiplyAdd(TOps.Load(ref v, i), muV, gv);
                TOps.Store(vv, ref v, i);
                TOps.Store(TOps.MultiplyAdd(TOps.MultiplyAdd(vv, muV, gv), stepV, pv), ref p, i);
            }
        }
        else
        {
            for (; i + width <= n; i += width)
            {
                TVec pv = TOps.Load(ref p, i);
                TVec gv = TOps.MultiplyAdd(pv, wdV, TOps.Load(ref g, i));
                TVec vv = TOps.MultiplyAdd(TOps.Load(ref v, i), muV, gv);
                TOps.Store(vv, ref v, i);
                TOps.Store(TOps.MultiplyAdd(vv, stepV, pv), ref p, i);
            }
        }
        for (; i < n; i++)
        {
            float pi = Unsafe.Add(ref p, i);
            float gi = Unsafe.Add(ref g, i) + weightDecay * pi;
            float vi = momentum * Unsafe.Add(ref v, i) + gi;
            Unsafe.Add(ref v, i) = vi;
            Unsafe.Add(ref p, i) = pi - learningRate * (nesterov ? gi + momentum * vi : vi);
        }
    }
}
