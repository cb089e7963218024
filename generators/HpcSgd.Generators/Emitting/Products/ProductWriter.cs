using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>Writes a product in the form its plan chose, with the tile it planned for the variant's targets.</summary>
internal static class ProductWriter
{
    public static void Write(IndentedWriter w, MatrixProduct p, KernelVariant variant)
    {
        if (p.Plan.Form == ProductForm.Dot)
        {
            DotProductWriter.Write(w, p, variant);
        }
        else
        {
            BroadcastProductWriter.Write(w, p, variant);
        }
    }
}
