namespace HpcSgd.Generators.Tests;

/// <summary>
/// Compares text with a checked-in file under Snapshots/, so a change to the generated code is reviewed as a diff.
/// Set HPCSGD_UPDATE_SNAPSHOTS=1 to accept the new text (it is written over the file in the source tree).
/// </summary>
internal static class Snapshot
{
    public const string UpdateVariable = "HPCSGD_UPDATE_SNAPSHOTS";

    public static void Match(string name, string actual)
    {
        string fileName = name + ".g.cs";
        actual = Normalize(actual);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            string sourceDirectory = Path.Combine(SourceTree(), "tests", "HpcSgd.Generators.Tests", "Snapshots");
            Directory.CreateDirectory(sourceDirectory);
            File.WriteAllText(Path.Combine(sourceDirectory, fileName), actual);
            return;
        }

        // The build copies the snapshots beside the test assembly, so the comparison needs no source tree.
        string expectedPath = Path.Combine(AppContext.BaseDirectory, "Snapshots", fileName);
        Assert.True(File.Exists(expectedPath), $"No snapshot {fileName}. Review the generated code and run the tests with {UpdateVariable}=1 to create it.");
        string expected = Normalize(File.ReadAllText(expectedPath));
        if (expected == actual)
        {
            return;
        }

        string[] expectedLines = expected.Split('\n');
        string[] actualLines = actual.Split('\n');
        int first = 0;
        while (first < expectedLines.Length && first < actualLines.Length && expectedLines[first] == actualLines[first])
        {
            first++;
        }
        string received = Path.Combine(Path.GetTempPath(), "hpcsgd-snapshots", fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(received)!);
        File.WriteAllText(received, actual);
        Assert.Fail(
            $"The generated code differs from Snapshots/{fileName} from line {first + 1} " +
            $"({expectedLines.Length} lines expected, {actualLines.Length} generated).\n" +
            $"  expected: {Line(expectedLines, first)}\n  actual:   {Line(actualLines, first)}\n" +
            $"The generated text is in {received}; diff it, and if the change is intended run the tests with {UpdateVariable}=1.");
    }

    // Walks up from the assembly to the checkout (the directory holding HpcSgd.sln); CallerFilePath is
    // unusable because CI builds map source paths to /_/.
    private static string SourceTree()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HpcSgd.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"{UpdateVariable}=1 needs the test assembly inside a checkout (no HpcSgd.sln above {AppContext.BaseDirectory}).");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    private static string Line(string[] lines, int index) => index < lines.Length ? lines[index].Trim() : "(end of file)";
}
