using System;
using System.Linq;
using HpcSgd.Generators.Model;

namespace HpcSgd.Generators.Planning;

/// <summary>
/// The targets kernels are planned for, from the build property <c>HpcSgdKernelTargets</c> (target ids, comma-separated;
/// empty: all). The other targets run the first selected target's kernels: correct everywhere, each selected target as
/// fast as without a selection, and one body per kernel instead of one per target. Run-time compilation selects the
/// running target; an app for one kind of device can do the same at build time.
/// </summary>
internal sealed record KernelTargetSelection(EquatableArray<string> Ids, string? Error)
{
    /// <summary>The build property's name as the compiler sees it.</summary>
    public const string PropertyKey = "build_property.HpcSgdKernelTargets";

    /// <summary>Every target.</summary>
    public static readonly KernelTargetSelection All = new(EquatableArray<string>.Empty, null);

    /// <summary>The selection a property value names; an unknown id leaves every target selected and sets <see cref="Error"/>.</summary>
    public static KernelTargetSelection Parse(string? value)
    {
        if (value is null || value.Trim().Length == 0)
        {
            return All;
        }
        string[] ids = value.Split(',').Select(id => id.Trim()).Where(id => id.Length > 0).ToArray();
        foreach (string id in ids)
        {
            if (!KernelTarget.All.Any(t => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase)))
            {
                return All with { Error = id, Value = value };
            }
        }
        string[] canonical = KernelTarget.All.Where(t => ids.Any(id => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase))).Select(t => t.Id).ToArray();
        return new KernelTargetSelection(new EquatableArray<string>(canonical), null);
    }

    /// <summary>The property value that was refused, for the diagnostic; only with <see cref="Error"/> set.</summary>
    public string Value { get; init; } = "";

    /// <summary>True when <paramref name="target"/> gets kernels planned for it.</summary>
    public bool Includes(KernelTarget target) => Ids.Count == 0 || Ids.Contains(target.Id);

    /// <summary>
    /// Tiles per target (in <see cref="KernelTarget.All"/>'s order) with every unselected target given the first selected
    /// target's tile, so all share that target's body.
    /// </summary>
    public Tile[] Apply(Tile[] tiles)
    {
        if (Ids.Count == 0)
        {
            return tiles;
        }
        int representative = Enumerable.Range(0, KernelTarget.All.Count).First(i => Includes(KernelTarget.All[i]));
        return tiles.Select((tile, i) => Includes(KernelTarget.All[i]) ? tile : tiles[representative]).ToArray();
    }
}
