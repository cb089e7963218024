using System.Text;
using HpcSgd.Tuning;

namespace HpcSgd.Cli.Explorer;

/// <summary>
/// The explorer's sweep journals (one per experiment folder) across runs: --resume continues them, a finished one is
/// started over, an unfinished one is never overwritten by accident; 'hpcsgd merge' gathers the shards' journals and
/// writes the report by running the recorded sweep command again with --resume (every trial then comes from the journals).
/// </summary>
internal static class SweepJournals
{
    /// <summary>The sweep command as given, kept in the report folder for 'hpcsgd merge'.</summary>
    public const string CommandFile = "sweep-command.txt";

    /// <summary>Before a sweep: keeps journals to resume, removes finished ones, refuses to run over unfinished ones; records the command.</summary>
    public static void Prepare(string folder, IEnumerable<string> experiments, ExplorerSettings settings)
    {
        foreach (string name in experiments)
        {
            string journal = Path.Combine(folder, name);
            if (settings.Resume || settings.Shard is not null || !SweepJournal.Exists(journal))
            {
                continue; // shards always read what the others journaled
            }
            if (!IsComplete(journal))
            {
                throw new ArgumentException($"{journal} holds the journal of a sweep that did not finish: add --resume to continue it (journaled trials are not run again), or remove the folder to start over.", "resume");
            }
            SweepJournal.Delete(journal);
        }
        if (settings.CommandLine is { } args)
        {
            ResultFiles.WriteAtomically(Path.Combine(folder, CommandFile), stream => stream.Write(Encoding.UTF8.GetBytes(string.Join('\n', args) + "\n")));
        }
    }

    private static bool IsComplete(string journal)
    {
        try
        {
            LearningRateSweep.Merge([journal]);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>
    /// 'hpcsgd merge DIR... [--out OUT]': checks that the journals of every experiment in the folders make whole sweeps,
    /// copies them into OUT (default: the first folder), and returns the recorded sweep command to run there with --resume.
    /// </summary>
    public static string[] Gather(IReadOnlyList<string> folders, string? outFolder)
    {
        if (folders.Count == 0)
        {
            throw new ArgumentException("merge needs at least one folder of sweep journals.", "folders");
        }
        string commandPath = folders.Select(f => Path.Combine(f, CommandFile)).FirstOrDefault(File.Exists)
            ?? throw new ArgumentException($"none of {string.Join(", ", folders)} holds {CommandFile}: they are not folders of 'hpcsgd sweep' runs.", "folders");
        string[] recorded = File.ReadAllLines(commandPath).Where(l => l.Length > 0).ToArray();
        string target = Path.GetFullPath(outFolder ?? folders[0]);
        var experiments = folders.SelectMany(f => Directory.Exists(f) ? Directory.EnumerateDirectories(f) : [])
            .Where(SweepJournal.Exists).GroupBy(d => Path.GetFileName(d)!, StringComparer.Ordinal).ToArray();
        if (experiments.Length == 0)
        {
            throw new ArgumentException($"no sweep journals under {string.Join(", ", folders)}.", "folders");
        }
        foreach (IGrouping<string, string> experiment in experiments)
        {
            try
            {
                LearningRateSweep.Merge([.. experiment]);
            }
            catch (InvalidDataException e)
            {
                throw new ArgumentException($"cannot merge {experiment.Key}: {e.Message}", "folders");
            }
            string destination = Path.Combine(target, experiment.Key);
            Directory.CreateDirectory(destination);
            foreach (string file in experiment.SelectMany(d => Directory.EnumerateFiles(d, "sweep-journal*.jsonl")))
            {
                string copy = Path.Combine(destination, Path.GetFileName(file));
                if (Path.GetFullPath(file) == Path.GetFullPath(copy))
                {
                    continue;
                }
                if (File.Exists(copy) && !File.ReadAllBytes(copy).AsSpan().SequenceEqual(File.ReadAllBytes(file)))
                {
                    throw new ArgumentException($"{copy} exists and differs from {file}; merge into an empty --out folder.", "out");
                }
                File.Copy(file, copy, overwrite: true);
            }
        }
        return [.. WithoutOptions(recorded, "--shard", "--out", "-o", "--resume"), "--out", target, "--resume"];
    }

    /// <summary><paramref name="args"/> without the given options and their values (as "--x v" or "--x=v"; --resume takes none).</summary>
    private static IEnumerable<string> WithoutOptions(string[] args, params string[] options)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i].Split('=', 2)[0];
            if (!options.Contains(name, StringComparer.Ordinal))
            {
                yield return args[i];
            }
            else if (!args[i].Contains('=', StringComparison.Ordinal) && name != "--resume")
            {
                i++;
            }
        }
    }
}
