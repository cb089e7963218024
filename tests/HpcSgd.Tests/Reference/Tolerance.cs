namespace HpcSgd.Tests.Reference;

/// <summary>Named tolerances for comparing float kernels with double references.</summary>
internal static class Tolerance
{
    /// <summary>
    /// Float32 kernels vs the double reference: float sums of up to ~1000 terms of size ~1 carry relative
    /// errors near 1000 * 6e-8 = 6e-5, so 1e-4 absolute plus 1e-3 relative; a wrong formula misses by far more.
    /// </summary>
    public const double KernelAbsolute = 1e-4;

    /// <inheritdoc cref="KernelAbsolute"/>
    public const double KernelRelative = 1e-3;

    /// <summary>Central differences in double with step 1e-6 agree with exact gradients to ~1e-9; 1e-6 leaves room for curvature.</summary>
    public const double FiniteDifferenceAbsolute = 1e-6;

    public static void AssertClose(double expected, double actual, double absolute, double relative, string what)
    {
        double allowed = absolute + relative * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= allowed,
            $"{what}: expected {expected:R}, got {actual:R} (difference {Math.Abs(expected - actual):G3} > allowed {allowed:G3})");
    }

    public static void AssertKernelClose(double expected, double actual, string what) =>
        AssertClose(expected, actual, KernelAbsolute, KernelRelative, what);
}
