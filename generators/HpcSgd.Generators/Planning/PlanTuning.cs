using System;
using System.Globalization;
using System.Linq;

namespace HpcSgd.Generators.Planning;

/// <summary>
/// Overrides of the planner's measured choices, from the build property <c>HpcSgdPlanTuning</c> ("ByteRowsAhead=16,
/// PacksA=on, PacksB=off, NarrowTile=4x3, WeightPanels=off"; separators ',', ';' or spaces). For measuring a choice against the
/// planner's own in one process (the benchmarks compile a model twice at run time); a choice left out keeps the planner's
/// rule. Tuning changes no result: an override moves copies and requests, regroups which outputs a tile computes
/// together, or moves where a weight lives (the initializer places each weight by its layout), and never changes the
/// order of a sum.
/// </summary>
/// <param name="ByteRowsAhead">Rows ahead a forward pass reading byte rows requests; 0: the pass does not read byte rows.</param>
/// <param name="PacksA">True: every target packs A where it is read across its rows (<see cref="TilePlanner.PacksA"/>);
/// false: none does.</param>
/// <param name="PacksB">True: every broadcast product whose B rows are whole lines and whose copy fits packs B's panels
/// (<see cref="TilePlanner.PacksB"/>), whatever the L1 sets; false: none does.</param>
/// <param name="NarrowTile">The broadcast form's tile on the 16-register targets (rows x vectors, B loaded first) wherever
/// the planner gives them a tile of at least as many rows ("NarrowTile=4x3"); null: the planner's 6 x 2.</param>
/// <param name="WeightPanels">False: the first layer's input-major weights keep whole rows (WeightLayoutKind.InputMajor)
/// instead of panels of 16 outputs; null or true: the planner's panels.</param>
/// <param name="Error">The refused setting, for the diagnostic; every choice is then the planner's.</param>
internal sealed record PlanTuning(int? ByteRowsAhead, bool? PacksA, bool? PacksB, Tile? NarrowTile, bool? WeightPanels, string? Error)
{
    /// <summary>The build property's name as the compiler sees it.</summary>
    public const string PropertyKey = "build_property.HpcSgdPlanTuning";

    /// <summary>The most rows ahead a forward pass may request (a batch of byte rows this far ahead is past any cache).</summary>
    public const int MaxByteRowsAhead = 64;

    /// <summary>The planner's own choices.</summary>
    public static readonly PlanTuning None = new(null, null, null, null, null, null);

    /// <summary>The property value that was refused, for the diagnostic; only with <see cref="Error"/> set.</summary>
    public string Value { get; init; } = "";

    /// <summary>The tuning a property value names; anything not understood leaves every choice the planner's and sets <see cref="Error"/>.</summary>
    public static PlanTuning Parse(string? value)
    {
        if (value is null || value.Trim().Length == 0)
        {
            return None;
        }
        PlanTuning tuning = None;
        foreach (string setting in value.Split(new[] { ',', ';', ' ' }, StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = setting.Split('=');
            string name = parts[0].Trim();
            string? text = parts.Length == 2 ? parts[1].Trim() : null;
            if (string.Equals(name, nameof(ByteRowsAhead), StringComparison.OrdinalIgnoreCase)
                && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int rows) && rows <= MaxByteRowsAhead)
            {
                tuning = tuning with { ByteRowsAhead = rows };
            }
            else if (string.Equals(name, nameof(PacksA), StringComparison.OrdinalIgnoreCase) && OnOrOff(text) is bool packs)
            {
                tuning = tuning with { PacksA = packs };
            }
            else if (string.Equals(name, nameof(PacksB), StringComparison.OrdinalIgnoreCase) && OnOrOff(text) is bool packsB)
            {
                tuning = tuning with { PacksB = packsB };
            }
            else if (string.Equals(name, nameof(WeightPanels), StringComparison.OrdinalIgnoreCase) && OnOrOff(text) is bool panels)
            {
                tuning = tuning with { WeightPanels = panels };
            }
            else if (string.Equals(name, nameof(NarrowTile), StringComparison.OrdinalIgnoreCase) && TileOf(text) is Tile tile)
            {
                tuning = tuning with { NarrowTile = tile };
            }
            else
            {
                return None with { Error = setting, Value = value };
            }
        }
        return tuning;
    }

    /// <summary>"4x3": 1-12 rows x 1-4 vectors, B loaded first.</summary>
    private static Tile? TileOf(string? text)
    {
        string[] parts = (text ?? "").Split('x');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int rows) && rows is >= 1 and <= 12
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int vectors) && vectors is >= 1 and <= 4
            ? new Tile(rows, vectors, LoadsBFirst: true)
            : null;
    }

    private static bool? OnOrOff(string? text) =>
        new[] { "on", "true" }.Contains(text, StringComparer.OrdinalIgnoreCase) ? true
        : new[] { "off", "false" }.Contains(text, StringComparer.OrdinalIgnoreCase) ? false
        : null;
}
