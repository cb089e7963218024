using System.Globalization;
using System.Text;

namespace HpcSgd.Compiler;

/// <summary>One dense layer of a <see cref="ModelDeclaration"/>: what a <see cref="DenseAttribute"/> says.</summary>
public sealed record DenseLayer(int Inputs, int Outputs, Activation Activation = Activation.Identity);

/// <summary>
/// A model described at run time: what the <see cref="SgdModelAttribute"/> and <see cref="DenseAttribute"/>s on a
/// partial type say at build time. <see cref="ToCSharp"/> writes that declaration, which is both what
/// <see cref="ModelCompiler"/> compiles and what a user pastes into an application to get the same model at build time.
/// </summary>
public sealed record ModelDeclaration
{
    /// <summary>Checks names and shapes; the generator checks the rest (and reports it as compiler diagnostics).</summary>
    public ModelDeclaration(string name, Loss loss, IReadOnlyList<DenseLayer> layers, IReadOnlyList<int> batchSizes)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(batchSizes);
        if (!IsIdentifier(name))
        {
            throw new ArgumentException($"'{name}' is not a C# type name (letters, digits and '_', not starting with a digit).", nameof(name));
        }
        if (!Enum.IsDefined(loss))
        {
            throw new ArgumentException($"{(int)loss} is not a Loss.", nameof(loss));
        }
        if (layers.Count == 0)
        {
            throw new ArgumentException("A model needs at least one layer.", nameof(layers));
        }
        for (int l = 0; l < layers.Count; l++)
        {
            DenseLayer layer = layers[l] ?? throw new ArgumentException($"layers[{l}] is null.", nameof(layers));
            if (layer.Inputs <= 0 || layer.Outputs <= 0)
            {
                throw new ArgumentException($"layers[{l}] has {layer.Inputs} inputs and {layer.Outputs} outputs; both must be positive.", nameof(layers));
            }
            if (l > 0 && layer.Inputs != layers[l - 1].Outputs)
            {
                throw new ArgumentException($"layers[{l}] takes {layer.Inputs} inputs but layers[{l - 1}] produces {layers[l - 1].Outputs}.", nameof(layers));
            }
            if (!Enum.IsDefined(layer.Activation))
            {
                throw new ArgumentException($"layers[{l}] has the undefined activation {(int)layer.Activation}.", nameof(layers));
            }
        }
        foreach (int size in batchSizes)
        {
            if (size <= 0)
            {
                throw new ArgumentException($"batch size {size} is not positive.", nameof(batchSizes));
            }
        }
        Name = name;
        Loss = loss;
        Layers = layers.ToArray();
        BatchSizes = batchSizes.Distinct().Order().ToArray();
    }

    /// <summary>The type's name.</summary>
    public string Name { get; }

    /// <summary>The loss the model trains on.</summary>
    public Loss Loss { get; }

    /// <summary>The dense layers, input to output.</summary>
    public IReadOnlyList<DenseLayer> Layers { get; }

    /// <summary>The batch sizes kernels are specialized for, ascending, without repeats (others take the general path).</summary>
    public IReadOnlyList<int> BatchSizes { get; }

    /// <summary>The declaration as C#: the attributes on a <c>public partial class</c>, in <paramref name="namespaceName"/> when given.</summary>
    public string ToCSharp(string? namespaceName = null)
    {
        var text = new StringBuilder();
        if (namespaceName is not null)
        {
            text.Append("namespace ").Append(namespaceName).Append(";\n\n");
        }
        text.Append("[HpcSgd.SgdModel(HpcSgd.Loss.").Append(Loss);
        if (BatchSizes.Count > 0)
        {
            text.Append(", BatchSizes = [").Append(string.Join(", ", BatchSizes.Select(b => b.ToString(CultureInfo.InvariantCulture)))).Append(']');
        }
        text.Append(")]\n");
        foreach (DenseLayer layer in Layers)
        {
            text.Append(CultureInfo.InvariantCulture, $"[HpcSgd.Dense({layer.Inputs}, {layer.Outputs}");
            if (layer.Activation != Activation.Identity)
            {
                text.Append(", Activation = HpcSgd.Activation.").Append(layer.Activation);
            }
            text.Append(")]\n");
        }
        text.Append("public partial class ").Append(Name).Append(" { }\n");
        return text.ToString();
    }

    /// <summary>Same declaration: name, loss, layers and batch sizes.</summary>
    public bool Equals(ModelDeclaration? other) => other is not null && ToCSharp() == other.ToCSharp();

    /// <inheritdoc/>
    public override int GetHashCode() => ToCSharp().GetHashCode(StringComparison.Ordinal);

    private static bool IsIdentifier(string name) =>
        !string.IsNullOrEmpty(name) && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
