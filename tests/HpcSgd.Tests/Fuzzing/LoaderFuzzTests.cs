using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using CsCheck;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;
using HpcSgd.Tuning;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Fuzzing;

/// <summary>
/// Issue #16: every loader (CSV, IDX, model file, checkpoint, sweep journal) fed mutations of a valid file — bit flips,
/// bytes set to edge values, insertions, deletions, truncations, duplicated runs, length fields set huge — either loads
/// or throws its documented exception with a one-line message, and allocates within a bound set by the input's size
/// (a header claiming a huge item count must not allocate it). For the framed formats half the mutations get their length
/// and checksum repaired, so they reach the parser behind the checksum. Cases are numbered and seeded (case i uses
/// CsCheck's PCG with seed i), so a failure names the case that reproduces it. HPCSGD_FUZZ_CASES sets the count per
/// loader (a quick count by default; tests/fuzz-loaders runs the long count).
/// </summary>
public sealed class LoaderFuzzTests(ITestOutputHelper log) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hpcsgd-fuzz-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("HPCSGD_FUZZ_CASES"), out int n) && n > 0 ? n : 2_000;

    [Fact]
    public void Csv_text()
    {
        byte[][] seeds =
        [
            "x1,x2,y\n1,2,3\n4.5,-5e3,6\n"u8.ToArray(),
            "\"a,b\",\"c\"\"d\",y\r\n1,2,0.5\r\n3,4,1\r\n\r\n"u8.ToArray(),
        ];
        Fuzz("CSV", seeds, repair: null, bytes => CsvTable.Parse(Encoding.UTF8.GetString(bytes), "fuzz.csv", "y", TargetKind.Regression),
            typeof(CsvFormatException));
    }

    [Fact]
    public void Idx_arrays()
    {
        var idx = new byte[4 + 3 * 4 + 8];
        idx[2] = 0x08;
        idx[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(idx.AsSpan(4), 2);
        BinaryPrimitives.WriteInt32BigEndian(idx.AsSpan(8), 2);
        BinaryPrimitives.WriteInt32BigEndian(idx.AsSpan(12), 2);
        Fuzz("IDX", [idx], repair: null, bytes => IdxFile.Read(new MemoryStream(bytes), "fuzz.idx"), typeof(IdxFormatException));
    }

    [Fact]
    public void Model_files()
    {
        byte[] file = ModelFile.Encode(TiledMlp.Description, new Model<TiledMlp>(seed: 1).Parameters,
            [new ModelFileSection("PREP", [1, 2, 3, 4, 5])]);
        Fuzz("model file", [file], RepairModelFile, bytes => ModelFile.Decode("fuzz.hpcsgd", bytes, TiledMlp.Description), typeof(ModelFileException));
    }

    [Fact]
    public void Checkpoints()
    {
        Dataset<SeedRegression> data = SmallData();
        var options = new TrainingOptions { LearningRate = 0.01f, BatchSize = 3, Steps = 100, Seed = 2, Momentum = 0.9f, RollBacks = 1 };
        string path = Path.Combine(folder, "seed.ckpt");
        using (var session = new TrainingSession<SeedRegression>(new Model<SeedRegression>(seed: 1), data, options))
        {
            for (int i = 0; i < 70; i++)
            {
                session.Step();
            }
            session.SaveCheckpoint(path);
        }
        byte[] checkpoint = File.ReadAllBytes(path);
        string target = Path.Combine(folder, "fuzz.ckpt");
        Fuzz("checkpoint", [checkpoint], RepairModelFile, bytes =>
        {
            File.WriteAllBytes(target, bytes);
            using var session = new TrainingSession<SeedRegression>(new Model<SeedRegression>(seed: 1), data, options);
            session.RestoreCheckpoint(target);
        }, typeof(ModelFileException));
    }

    [Fact]
    public void Sweep_journals()
    {
        Dataset<SeedRegression> data = SmallData();
        string journalFolder = Path.Combine(folder, "journal");
        LearningRateSweep.Run(new Model<SeedRegression>(seed: 1).Parameters, data, data, new SweepOptions
        {
            LearningRates = [0.01f, 0.1f],
            BatchSizes = [1, 4],
            Budget = TrainingBudget.Samples(200),
            Rungs = 2,
            Evaluations = 4,
            Threads = 1,
            RollBacks = 1,
            JournalFolder = journalFolder,
        });
        byte[] journal = File.ReadAllBytes(Path.Combine(journalFolder, "sweep-journal.jsonl"));
        string target = Path.Combine(folder, "fuzz-journal");
        Directory.CreateDirectory(target);
        Fuzz("sweep journal", [journal], RepairJournalLines, bytes =>
        {
            File.WriteAllBytes(Path.Combine(target, "sweep-journal.jsonl"), bytes);
            LearningRateSweep.Merge([target]);
        }, typeof(InvalidDataException));
    }

    private static Dataset<SeedRegression> SmallData()
    {
        (float[] x, float[] y) = ClassicExample.Generate(20, 1);
        return new Dataset<SeedRegression>(x, y);
    }

    /// <summary>
    /// Runs <see cref="Cases"/> mutations of the seeds through <paramref name="load"/>: each loads, or throws one of
    /// <paramref name="documented"/> with a one-line message; anything else fails the test naming the case.
    /// </summary>
    private void Fuzz(string loader, byte[][] seeds, Func<byte[], byte[]>? repair, Action<byte[]> load, params Type[] documented)
    {
        Gen<byte[]> inputs = Mutated(seeds, repair);
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        long largestAllocation = 0;
        for (int i = 0; i < Cases; i++)
        {
            byte[] input = inputs.Generate(new PCG(16, (ulong)i), null, out _);
            string outcome;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                load(input);
                outcome = "loaded";
            }
            catch (Exception e) when (documented.Contains(e.GetType()))
            {
                outcome = e.GetType().Name;
                Assert.False(e.Message.Contains('\n', StringComparison.Ordinal), $"{loader} case {i}: a message of several lines: {e.Message}");
                Assert.True(e.Message.Length <= 600, $"{loader} case {i}: a {e.Message.Length}-character message: {e.Message}");
            }
            catch (Exception e)
            {
                Assert.Fail($"{loader} case {i} ({input.Length} bytes: {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 64)))}...): undocumented {e.GetType().Name}: {e.Message} at {string.Join(" / ", (e.StackTrace ?? "").Split('\n').Take(4).Select(l => l.Trim()))}");
                throw;
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            largestAllocation = Math.Max(largestAllocation, allocated);
            Assert.True(allocated <= 64L * input.Length + (4 << 20), $"{loader} case {i}: {allocated:N0} bytes allocated for a {input.Length}-byte input");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        log.WriteLine($"{loader}: {Cases:N0} cases: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value:N0}"))}; largest allocation {largestAllocation:N0} bytes");
        if (outcomes.Count == 1 && Cases >= 100)
        {
            Assert.Fail($"{loader}: every case ended alike ({outcomes.Keys.Single()}); the mutations do not reach the parser");
        }
    }

    /// <summary>A seed with 1 to 6 mutations, and (when there is a repair) repaired half of the time.</summary>
    private static Gen<byte[]> Mutated(byte[][] seeds, Func<byte[], byte[]>? repair) =>
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Select(Gen.Int[0, 7], Gen.Int[0, int.MaxValue], Gen.Int[0, 255], Gen.Int[1, 64]).Array[1, 6], Gen.Bool)
            .Select(c =>
            {
                var bytes = new List<byte>(seeds[c.Item1]);
                foreach ((int kind, int where, int value, int length) in c.Item2)
                {
                    Mutate(bytes, kind, where, (byte)value, length);
                }
                byte[] result = [.. bytes];
                return repair is not null && c.Item3 ? repair(result) : result;
            });

    /// <summary>Characters that mean something to CSV, JSON or a number parser.</summary>
    private const string Syntax = "\",\n\r\t{}[]:0-9eE.\\";

    private static readonly uint[] EdgeValues = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 30, 12];

    private static void Mutate(List<byte> bytes, int kind, int where, byte value, int length)
    {
        int at = bytes.Count == 0 ? 0 : where % bytes.Count;
        switch (kind)
        {
            case 0 when bytes.Count > 0:
                bytes[at] ^= (byte)(1 << (value & 7));
                break;
            case 1 when bytes.Count > 0:
                bytes[at] = value;
                break;
            case 2:
                bytes.InsertRange(at, Enumerable.Repeat(value, length));
                break;
            case 3 when bytes.Count > 0:
                bytes.RemoveRange(at, Math.Min(length, bytes.Count - at));
                break;
            case 4:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 5 when bytes.Count > 0:
                bytes.InsertRange(at, bytes.GetRange(at, Math.Min(length, bytes.Count - at)));
                break;
            case 6 when bytes.Count >= 4:
                // A 32-bit field set to an edge value, in either byte order (IDX is big-endian, the model file little).
                at = Math.Min(at, bytes.Count - 4);
                uint edge = EdgeValues[value % EdgeValues.Length];
                for (int b = 0; b < 4; b++)
                {
                    bytes[at + b] = (byte)((value & 0x80) != 0 ? edge >> (8 * (3 - b)) : edge >> (8 * b));
                }
                break;
            case 7 when bytes.Count > 0:
                bytes[at] = (byte)Syntax[value % Syntax.Length];
                break;
        }
    }

    /// <summary>The model file's body length and CRC made to fit the mutated bytes (when the header survived).</summary>
    private static byte[] RepairModelFile(byte[] file)
    {
        if (file.Length < 24)
        {
            return file;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(12), (ulong)(file.Length - 24));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(file.Length - 4), Crc32.HashToUInt32(file.AsSpan(0, file.Length - 4)));
        return file;
    }

    /// <summary>Each journal line's CRC recomputed for its (mutated) JSON.</summary>
    private static byte[] RepairJournalLines(byte[] file)
    {
        var repaired = new List<byte>(file.Length);
        int start = 0;
        while (start < file.Length)
        {
            int end = Array.IndexOf(file, (byte)'\n', start);
            int stop = end < 0 ? file.Length : end;
            ReadOnlySpan<byte> line = file.AsSpan(start, stop - start);
            int tab = line.LastIndexOf((byte)'\t');
            ReadOnlySpan<byte> json = tab >= 0 ? line[..tab] : line;
            repaired.AddRange(json);
            repaired.Add((byte)'\t');
            repaired.AddRange(Encoding.ASCII.GetBytes(Crc32.HashToUInt32(json).ToString("x8", System.Globalization.CultureInfo.InvariantCulture)));
            if (end >= 0)
            {
                repaired.Add((byte)'\n');
            }
            start = stop + 1;
        }
        return [.. repaired];
    }
}
