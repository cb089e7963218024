using System.Runtime.CompilerServices;

namespace HpcSgd.Generators.Tests;

/// <summary>
/// Compares text with a checked-in file under Snapshots/, so a change to the generated code is reviewed as a diff.
/// Set HPCSGD_UPDATE_SNAPSHOTS=1 to accept the new text (it is written over the file in the source tree).
/// </summary>
internal static class Snapshot
{
    public const string UpdateVariable = "HPCSGD_UPDATE_SNAPSHOTS";

    public static void Match(string name, string actual, [CallerFilePath] string testSource = "")
    {
        string sourceDirectory = Path.Combine(Path.GetDirectoryName(testSource)!, "Snapshots");
        string fileName = name + ".g.cs";
        actual = Normalize(actual);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
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

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    private static string Line(string[] lines, int index) => index < lines.Length ? lines[index].Trim() : "(end of file)";
}
