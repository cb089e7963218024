namespace HpcSgd.Generators.Emitting.Products;

/// <summary>The register type a tile computes in: the kernel's vector width, or one float (leftover columns).</summary>
internal readonly struct Lanes
{
    private Lanes(string ops, string vec, string width)
    {
        Ops = ops;
        Vec = vec;
        Width = width;
    }

    public static Lanes Vector => new("TOps", "TVec", "(nuint)TOps.Count");

    public static Lanes Scalar => new(Names.Kernels + "ScalarOps", "float", "1");

    public string Ops { get; }

    public string Vec { get; }

    public string Width { get; }

    /// <summary>The offset of <paramref name="count"/> registers, as a nuint expression.</summary>
    public string Vectors(int count) => count == 0 ? "(nuint)0" : Width == "1" ? $"(nuint){count}" : $"{count} * {Width}";

    /// <summary>The offset <paramref name="constant"/> + <paramref name="vector"/> registers, as a nuint expression.</summary>
    public string Offset(int constant, int vector) =>
        vector == 0 ? $"(nuint){constant}" : Width == "1" ? $"(nuint){constant + vector}" : $"(nuint){constant} + {vector} * {Width}";
}
