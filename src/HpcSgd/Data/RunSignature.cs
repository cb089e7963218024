namespace HpcSgd.Data;

/// <summary>
/// "Name=value" lines that say what a saved run depends on (options, data hashes), as checkpoints and sweep journals
/// store them: the first line in which a saved signature differs from the current one.
/// </summary>
internal static class RunSignature
{
    /// <summary>
    /// The first of <paramref name="current"/>'s names whose value <paramref name="saved"/> records differently (its
    /// value there, null when it records none), or null when they agree; a name recorded twice counts as a difference.
    /// </summary>
    public static (string Name, string? Saved, string Current)? FirstDifference(IEnumerable<string> saved, IEnumerable<string> current)
    {
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        var repeated = new HashSet<string>(StringComparer.Ordinal);
        foreach (string[] parts in saved.Select(line => line.Split('=', 2)).Where(parts => parts.Length == 2))
        {
            if (!recorded.TryAdd(parts[0], parts[1]))
            {
                repeated.Add(parts[0]);
            }
        }
        foreach (string[] parts in current.Select(line => line.Split('=', 2)).Where(parts => parts.Length == 2))
        {
            if (repeated.Contains(parts[0]) || !recorded.TryGetValue(parts[0], out string? value) || value != parts[1])
            {
                return (parts[0], repeated.Contains(parts[0]) ? "(recorded twice)" : recorded.GetValueOrDefault(parts[0]), parts[1]);
            }
        }
        return null;
    }
}
