using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using HpcSgd.Data;

namespace HpcSgd.Tuning;

/// <summary>
/// A sweep's journal: a folder holding one append-only file per process (<c>sweep-journal.jsonl</c>, or
/// <c>sweep-journal-I-of-N.jsonl</c> for shard I of N) and the checkpoints of trials that go on to a later rung
/// (<c>sweep-trials/</c>). Each line is JSON, a tab and the line's CRC-32; each is flushed to disk before the trial
/// counts as done, so a killed sweep loses at most the trials in progress. A line cut short by a kill at the end of a
/// file is dropped (and cut off before the next append); a damaged line elsewhere is an error naming file and line.
/// </summary>
public sealed class SweepJournal : IDisposable
{
    /// <summary>The journal format version.</summary>
    public const int Version = 1;

    private const string FilePrefix = "sweep-journal";
    private const string TrialFolder = "sweep-trials";
    private readonly Dictionary<(int Trial, int Rung), SweepJournalEntry> entries;
    private readonly object gate = new();
    private FileStream? writer;

    private SweepJournal(string folder, string? ownFile, SweepJournalHeader header, Dictionary<(int, int), SweepJournalEntry> entries)
    {
        Folder = folder;
        OwnFile = ownFile;
        Header = header;
        this.entries = entries;
    }

    /// <summary>The folder of the journal files.</summary>
    public string Folder { get; }

    /// <summary>The file this process appends to (null for a journal opened read-only, as by <see cref="Read"/>).</summary>
    public string? OwnFile { get; }

    /// <summary>The sweep the journal belongs to.</summary>
    public SweepJournalHeader Header { get; }

    /// <summary>Entries read from every journal file of the folder, and those appended since.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>True when the folder holds journal files.</summary>
    public static bool Exists(string folder) => Directory.Exists(folder) && Directory.EnumerateFiles(folder, FilePrefix + "*.jsonl").Any();

    /// <summary>Removes the folder's journal files and trial checkpoints (starting a sweep over).</summary>
    public static void Delete(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }
        foreach (string file in Directory.EnumerateFiles(folder, FilePrefix + "*.jsonl"))
        {
            File.Delete(file);
        }
        string trials = Path.Combine(folder, TrialFolder);
        if (Directory.Exists(trials))
        {
            Directory.Delete(trials, recursive: true);
        }
    }

    /// <summary>
    /// Opens the journal of the sweep <paramref name="header"/> describes in <paramref name="folder"/> for appending
    /// (this shard's file), reading what every journal file there holds; a journal of another sweep is refused,
    /// naming the first difference.
    /// </summary>
    /// <exception cref="InvalidDataException">A journal file is damaged or belongs to another sweep.</exception>
    public static SweepJournal Open(string folder, SweepJournalHeader header, SweepShard? shard)
    {
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(Path.Combine(folder, TrialFolder));
        var entries = new Dictionary<(int, int), SweepJournalEntry>();
        foreach (string file in Files(folder))
        {
            ReadFile(file, header, entries);
        }
        string own = Path.Combine(folder, shard is { } s ? FormattableString.Invariant($"{FilePrefix}-{s.Index}-of-{s.Count}.jsonl") : FilePrefix + ".jsonl");
        var journal = new SweepJournal(folder, own, header, entries);
        journal.writer = OpenForAppend(own, header);
        return journal;
    }

    /// <summary>Reads the journals of <paramref name="folders"/> (e.g. one per shard, copied from several machines) as one.</summary>
    /// <exception cref="InvalidDataException">No journal is found, one is damaged, or they belong to different sweeps.</exception>
    public static SweepJournal Read(IReadOnlyList<string> folders)
    {
        SweepJournalHeader? header = null;
        var entries = new Dictionary<(int, int), SweepJournalEntry>();
        foreach (string folder in folders)
        {
            string[] files = Directory.Exists(folder) ? Files(folder) : [];
            if (files.Length == 0)
            {
                throw new InvalidDataException($"{folder}: no sweep journal ({FilePrefix}*.jsonl) there.");
            }
            foreach (string file in files)
            {
                header = ReadFile(file, header, entries);
            }
        }
        return new SweepJournal(folders.Count > 0 ? folders[0] : ".", null, header ?? throw new InvalidDataException("no journal folder given."), entries);
    }

    /// <summary>The entry of <paramref name="trial"/> at <paramref name="rung"/>, if journaled.</summary>
    public SweepJournalEntry? Find(int trial, int rung)
    {
        lock (gate)
        {
            return entries.GetValueOrDefault((trial, rung));
        }
    }

    /// <summary>Where the session of <paramref name="trial"/> is checkpointed at the end of <paramref name="rung"/>.</summary>
    public string CheckpointPath(int trial, int rung) =>
        Path.Combine(Folder, TrialFolder, FormattableString.Invariant($"t{trial}-r{rung}.ckpt"));

    /// <summary>Appends <paramref name="entry"/> and flushes it to disk (thread-safe); the trial's earlier checkpoint is then removed.</summary>
    public void Append(SweepJournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        byte[] line = Line(JsonSerializer.SerializeToUtf8Bytes(entry, JournalJson.Default.SweepJournalEntry));
        lock (gate)
        {
            FileStream stream = writer ?? throw new InvalidOperationException("This journal was opened read-only.");
            stream.Write(line);
            stream.Flush(flushToDisk: true);
            entries[(entry.Trial.Index, entry.Rung)] = entry;
        }
        string earlier = CheckpointPath(entry.Trial.Index, entry.Rung - 1);
        if (entry.Rung > 0 && File.Exists(earlier))
        {
            File.Delete(earlier);
        }
    }

    /// <summary>Removes the trial checkpoints (once the sweep is complete nothing will resume from them).</summary>
    public void DeleteCheckpoints()
    {
        string trials = Path.Combine(Folder, TrialFolder);
        if (Directory.Exists(trials))
        {
            Directory.Delete(trials, recursive: true);
        }
    }

    /// <summary>Closes this process's journal file.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            writer?.Dispose();
            writer = null;
        }
    }

    private static string[] Files(string folder) => [.. Directory.EnumerateFiles(folder, FilePrefix + "*.jsonl").Order(StringComparer.Ordinal)];

    private static byte[] Line(byte[] json)
    {
        string crc = Crc32.HashToUInt32(json).ToString("x8", CultureInfo.InvariantCulture);
        return [.. json, (byte)'\t', .. Encoding.ASCII.GetBytes(crc), (byte)'\n'];
    }

    /// <summary>
    /// Opens <paramref name="path"/> to append, first writing the header to a new file, or cutting a line that a kill left
    /// unfinished off the end of an existing one.
    /// </summary>
    private static FileStream OpenForAppend(string path, SweepJournalHeader header)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        long keep = stream.Length;
        if (keep > 0)
        {
            // Back to just after the last newline: what follows it is a line cut short (already ignored by ReadFile).
            var one = new byte[1];
            while (keep > 0)
            {
                stream.Position = keep - 1;
                stream.ReadExactly(one);
                if (one[0] == (byte)'\n')
                {
                    break;
                }
                keep--;
            }
            stream.SetLength(keep);
        }
        stream.Position = keep;
        if (keep == 0)
        {
            stream.Write(Line(JsonSerializer.SerializeToUtf8Bytes(header, JournalJson.Default.SweepJournalHeader)));
            stream.Flush(flushToDisk: true);
        }
        return stream;
    }

    /// <summary>Reads one journal file into <paramref name="entries"/>, checking its header against <paramref name="expected"/> (the first file's when null).</summary>
    private static SweepJournalHeader ReadFile(string file, SweepJournalHeader? expected, Dictionary<(int, int), SweepJournalEntry> entries)
    {
        byte[] bytes = File.ReadAllBytes(file);
        SweepJournalHeader? header = null;
        int lineNumber = 0, start = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            lineNumber++;
            if (end < 0)
            {
                break; // the last line, cut short by a kill: its trial is simply not done
            }
            ReadOnlySpan<byte> line = bytes.AsSpan(start, end - start);
            start = end + 1;
            int tab = line.LastIndexOf((byte)'\t');
            if (tab < 0 || line.Length - tab - 1 != 8
                || !uint.TryParse(Encoding.ASCII.GetString(line[(tab + 1)..]), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint crc)
                || Crc32.HashToUInt32(line[..tab]) != crc)
            {
                throw new InvalidDataException($"{file}, line {lineNumber}: damaged (its checksum does not match); remove the file or the line to go on without it.");
            }
            try
            {
                if (header is null)
                {
                    header = JsonSerializer.Deserialize(line[..tab], JournalJson.Default.SweepJournalHeader)
                        ?? throw new InvalidDataException($"{file}, line 1: not a sweep journal header.");
                    if (header.Version != Version)
                    {
                        throw new InvalidDataException($"{file}: journal format version {header.Version}; this HpcSgd reads version {Version}.");
                    }
                    if (!Plausible(header))
                    {
                        throw new InvalidDataException($"{file}, line 1: not a sweep journal header (fields missing or out of range).");
                    }
                    if (expected is not null)
                    {
                        CompareSignatures(file, header, expected);
                    }
                    continue;
                }
                SweepJournalEntry entry = JsonSerializer.Deserialize(line[..tab], JournalJson.Default.SweepJournalEntry)
                    ?? throw new InvalidDataException($"{file}, line {lineNumber}: empty entry.");
                SweepJournalOptions o = header.Options;
                int trials = o.LearningRates.Count * o.BatchSizes.Count;
                // The final rounds' trials (FinalRound) have indices past the grid's: a finalist's replica (a grid cell again, at
                // the rung after the last) or a refined rate (the grid's batch sizes, any rate, at the rung after that).
                long past = entry.Trial is { } r ? r.Index - (long)trials : -1;
                bool replica = past >= 0 && past < (long)o.Finalists * o.FinalistSeeds && entry.Rung == o.Rungs;
                bool refined = o.RefineRate && past >= (long)o.Finalists * o.FinalistSeeds && past < FinalRound.IndexCount(o.Finalists, o.FinalistSeeds, o.RefineRate) && entry.Rung == o.Rungs + 1;
                if (entry.Trial is null || entry.Trial.Curve is not { Count: > 0 } || !(replica || refined || ((uint)entry.Trial.Index < (uint)trials && (uint)entry.Rung < (uint)o.Rungs)))
                {
                    throw new InvalidDataException($"{file}, line {lineNumber}: an entry for trial {entry.Trial?.Index} at rung {entry.Rung}, outside this sweep's {trials} trials and {o.Rungs} rungs.");
                }
                TrialResult t = entry.Trial;
                bool inGrid = replica ? o.LearningRates.Contains(t.LearningRate) && o.BatchSizes.Contains(t.BatchSize)
                    : refined ? float.IsFinite(t.LearningRate) && t.LearningRate > 0 && o.BatchSizes.Contains(t.BatchSize)
                    : t.LearningRate == o.LearningRates[t.Index / o.BatchSizes.Count] && t.BatchSize == o.BatchSizes[t.Index % o.BatchSizes.Count];
                if (!inGrid || !Enum.IsDefined(t.Status) || !Enum.IsDefined(t.Label) || t.Steps < 0 || t.SamplesSeen < 0)
                {
                    throw new InvalidDataException($"{file}, line {lineNumber}: the entry for trial {t.Index} does not match the grid (learning rate {t.LearningRate}, batch {t.BatchSize}) or has fields out of range.");
                }
                entries.TryAdd((entry.Trial.Index, entry.Rung), entry);
            }
            catch (JsonException e)
            {
                // The parser's message quotes the line; the position and path say where without echoing it.
                throw new InvalidDataException($"{file}, line {lineNumber}: not a journal line (invalid JSON at byte {(e.BytePositionInLine ?? 0) + 1}{(e.Path is { } path ? $", {path}" : "")}).");
            }
        }
        return header ?? expected ?? throw new InvalidDataException($"{file}: empty; it holds no journal header.");
    }

    /// <summary>True when a header read from a file has every field, a grid of sensible size and options that construct.</summary>
    private static bool Plausible(SweepJournalHeader header)
    {
        if (header.Model is null || header.Signature is null || header.Signature.Any(line => line is null)
            || header.Options is not { LearningRates: { Count: > 0 } rates, BatchSizes: { Count: > 0 } batches, LabelRules: not null } options
            || (long)rates.Count * batches.Count > 1_000_000 || options.Rungs is < 1 or > 64 || options.Evaluations is < 2 or > 100_000
            || options.ReductionFactor < 2 || options.Finalists < 0 || options.FinalistSeeds < 1 || (long)options.Finalists * options.FinalistSeeds > 10_000)
        {
            return false;
        }
        try
        {
            options.ToOptions();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Throws naming the first signature line in which two journals differ.</summary>
    internal static void CompareSignatures(string file, SweepJournalHeader found, SweepJournalHeader expected)
    {
        if (found.Model != expected.Model)
        {
            throw new InvalidDataException($"{file}: a journal of a sweep on {MessageText.Show(found.Model)}, not {expected.Model}.");
        }
        if (RunSignature.FirstDifference(found.Signature, expected.Signature) is (string name, var other, string value))
        {
            throw new InvalidDataException($"{file}: a journal of another sweep ({name} = {MessageText.Show(other ?? "none")} there, {MessageText.Show(value)} here); " +
                "use another folder, or start over without resuming.");
        }
    }
}
