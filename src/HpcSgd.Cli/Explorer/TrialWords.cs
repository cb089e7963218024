using HpcSgd.Tuning;

namespace HpcSgd.Cli.Explorer;

/// <summary>How a trial is named in tables, charts and the report: one word set, one colour per outcome.</summary>
internal static class TrialWords
{
    /// <summary>"converged", "still improving", "oscillating", "stalled", "diverged" or "stopped early"; "..., rolled back xN" after roll-backs.</summary>
    public static string Outcome(TrialResult t) => t.RolledBack ? $"{Word(t)}, rolled back x{t.RollBacks!.Count}" : Word(t);

    private static string Word(TrialResult t) => t.Status switch
    {
        TrialStatus.Diverged => "diverged",
        TrialStatus.Stopped => "stopped early",
        _ => t.Label switch
        {
            TrialLabel.Converged => "converged",
            TrialLabel.StillImproving => "still improving",
            TrialLabel.Oscillating => "oscillating",
            TrialLabel.Stalled => "stalled",
            _ => "diverged",
        },
    };

    /// <summary>The Spectre colour of <see cref="Outcome"/>.</summary>
    public static string Colour(TrialResult t) => t.Status switch
    {
        TrialStatus.Diverged => "red",
        TrialStatus.Stopped => "grey",
        _ => t.Label switch
        {
            TrialLabel.Converged => "green",
            TrialLabel.StillImproving => "yellow",
            TrialLabel.Stalled => "orange1",
            _ => "magenta",
        },
    };
}
