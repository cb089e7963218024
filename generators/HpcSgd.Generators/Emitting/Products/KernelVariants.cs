using System;
using System.Collections.Generic;
using System.Linq;
using HpcSgd.Generators.Model;
using HpcSgd.Generators.Planning;

namespace HpcSgd.Generators.Emitting.Products;

/// <summary>The targets that share every tile of a kernel's products, and so one body.</summary>
internal sealed class KernelVariant
{
    public KernelVariant(IReadOnlyList<KernelTarget> targets) => Targets = targets;

    public IReadOnlyList<KernelTarget> Targets { get; }

    /// <summary>Method-name suffix of this variant's body: its first target's id.</summary>
    public string Suffix => "_" + Targets[0].Id;

    /// <summary>True inside the width instantiations of this variant's targets (folded by the JIT).</summary>
    public string Condition => string.Join(" || ", Targets.Select(t => Targets.Count > 1 && t.Condition.Contains("&&") ? $"({t.Condition})" : t.Condition));

    /// <summary>This variant's tile among a product's tiles per target.</summary>
    public Tile TileOf(EquatableArray<Tile> tiles) => tiles[IndexOf(Targets[0])];

    /// <summary>Words for a comment: "x64 AVX-512, ARM64 AdvSimd: 8 x 2 (25 of 32 registers)".</summary>
    public string Describe(Tile tile) =>
        (Targets.Count == KernelTarget.All.Count ? "every target" : string.Join(", ", Targets.Select(t => t.Name)))
        + $": {tile} ({tile.Registers} of {Targets.Min(t => t.Registers)} registers" + (tile.LoadsBFirst ? ", B loaded first" : "")
        + (tile.PacksB ? ", panels of B packed" : "") + (tile.PacksA ? ", A packed in strips" : "") + ")";

    private static int IndexOf(KernelTarget target)
    {
        for (int i = 0; i < KernelTarget.All.Count; i++)
        {
            if (KernelTarget.All[i] == target)
            {
                return i;
            }
        }
        throw new ArgumentException("Unknown target " + target.Name, nameof(target));
    }
}

/// <summary>
/// Writes a kernel whose products' tiles differ between targets as one method per variant (targets with equal tiles
/// share one) and, under the kernel's name, a dispatcher that calls the variant of the running target: its conditions
/// are constants in each width's instantiation, so the JIT inlines it to one direct call. Kept apart, each variant is
/// no larger than a single-target kernel (the JIT compiles very large methods without optimizing them).
/// A kernel that every target plans alike is one method, as before.
/// </summary>
internal static class KernelVariants
{
    /// <summary>The variants of a kernel whose products have the given tiles per target (empty sets are ignored).</summary>
    public static IReadOnlyList<KernelVariant> Of(params EquatableArray<Tile>[] tileSets)
    {
        var sets = tileSets.Where(s => s.Count > 0).ToList();
        var keys = new List<Tile[]>();
        var groups = new List<List<KernelTarget>>();
        for (int t = 0; t < KernelTarget.All.Count; t++)
        {
            Tile[] key = sets.Select(s => s[t]).ToArray();
            int existing = keys.FindIndex(k => k.SequenceEqual(key));
            if (existing < 0)
            {
                keys.Add(key);
                groups.Add(new List<KernelTarget> { KernelTarget.All[t] });
            }
            else
            {
                groups[existing].Add(KernelTarget.All[t]);
            }
        }
        return groups.Select(g => new KernelVariant(g)).ToList();
    }

    /// <summary>
    /// Writes the kernel <paramref name="name"/> (its doc comment already written) with <paramref name="parameters"/>:
    /// <paramref name="body"/> writes the statements of one variant.
    /// </summary>
    public static void Write(IndentedWriter w, string name, string parameters, IReadOnlyList<KernelVariant> variants, Action<KernelVariant> body,
        string typeParameters = Names.WidthTypeParameters, string constraints = Names.WidthConstraints)
    {
        if (variants.Count == 1)
        {
            w.Line(Names.FullyOptimized);
            using (w.Open(Signature(name, parameters, typeParameters, constraints)))
            {
                body(variants[0]);
            }
            return;
        }
        string arguments = Arguments(parameters);
        w.Line(Names.Inlined);
        using (w.Open(Signature(name, parameters, typeParameters, constraints)))
        {
            for (int v = 0; v < variants.Count; v++)
            {
                string header = v == 0 ? $"if ({variants[v].Condition})" : v == variants.Count - 1 ? "else" : $"else if ({variants[v].Condition})";
                using (w.Open(header))
                {
                    w.Line($"{name}{variants[v].Suffix}{typeParameters}({arguments});");
                }
            }
        }
        foreach (KernelVariant variant in variants)
        {
            w.Line();
            w.Line($"/// <summary>{name} on {string.Join(", ", variant.Targets.Select(t => t.Name))}.</summary>");
            w.Line(Names.FullyOptimized);
            using (w.Open(Signature(name + variant.Suffix, parameters, typeParameters, constraints)))
            {
                body(variant);
            }
        }
    }

    private static string Signature(string name, string parameters, string typeParameters, string constraints) =>
        $"private static void {name}{typeParameters}({parameters}) {constraints}";

    /// <summary>"ref float x, in Kernels::UpdateRule rule, int batchSize" -> "ref x, in rule, batchSize".</summary>
    private static string Arguments(string parameters) =>
        string.Join(", ", parameters.Split(new[] { ", " }, StringSplitOptions.None).Select(parameter =>
        {
            string[] words = parameter.Split(' ');
            string modifier = words[0] is "ref" or "in" or "out" ? words[0] + " " : "";
            return modifier + words[words.Length - 1];
        }));
}
