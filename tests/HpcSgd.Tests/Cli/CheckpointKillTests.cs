using System.Diagnostics;
using System.Globalization;
using HpcSgd.Models;
using Xunit.Abstractions;

namespace HpcSgd.Tests.Cli;

/// <summary>
/// Issue #16: a training process killed (SIGKILL) while it writes checkpoints, most likely in the middle of one, leaves a
/// checkpoint that resumes, and the resumed run ends bit for bit where an uninterrupted run ends. The kill count comes
/// from HPCSGD_CHECKPOINT_KILLS (a few by default; tests/kill-and-resume asks for many).
/// </summary>
public sealed class CheckpointKillTests(ITestOutputHelper log) : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "hpcsgd-kill-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(folder, recursive: true);

    // Long enough that no kill comes after the end; short enough to finish in well under a second once resumed.
    private static readonly string[] Run = ["train", "--steps", "300000", "--batch-size", "10", "--schedule", "cosine", "--progress-every", "100000000"];

    [Fact]
    public async Task Killed_mid_checkpoint_the_last_good_checkpoint_resumes_to_the_uninterrupted_result()
    {
        int kills = int.TryParse(Environment.GetEnvironmentVariable("HPCSGD_CHECKPOINT_KILLS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 4;
        string reference = Path.Combine(folder, "reference.hpcsgd");
        Assert.Equal(0, (await CliRun.Child([.. Run, "--save", reference])).ExitCode);
        byte[] expected = ModelFile.ReadSection(reference, "PARA")!;

        Directory.CreateDirectory(folder);
        var random = new Random(16);
        int midWrite = 0;
        var resumedAt = new List<int>();
        for (int k = 0; k < kills; k++)
        {
            string checkpoint = Path.Combine(folder, $"run{k}.ckpt");
            // A checkpoint every step: the process spends most of its time writing one, so the kill lands mid-write.
            var start = CliRun.ChildStart([.. Run, "--checkpoint", checkpoint, "--checkpoint-every", "1"]);
            using Process child = Process.Start(start)!;
            Task drain = child.StandardOutput.ReadToEndAsync();
            Task drainError = child.StandardError.ReadToEndAsync();
            await CliRun.WaitForFile(checkpoint);
            await Task.Delay(random.Next(0, 400));
            child.Kill();
            await child.WaitForExitAsync();
            await Task.WhenAll(drain, drainError);
            Assert.True(File.Exists(checkpoint), "no checkpoint was written before the kill");
            midWrite += Directory.GetFiles(folder, "*.tmp").Length > 0 ? 1 : 0;

            string result = Path.Combine(folder, $"result{k}.hpcsgd");
            (int exit, string output) = await CliRun.Child([.. Run, "--checkpoint", checkpoint, "--checkpoint-every", "0", "--resume", "--save", result]);
            Assert.True(exit == 0, output);
            string line = output.Split('\n').Single(l => l.StartsWith("Resumed from", StringComparison.Ordinal));
            resumedAt.Add(int.Parse(line.Split(" at step ")[1].Split(' ')[0], CultureInfo.InvariantCulture));
            Assert.Equal(expected, ModelFile.ReadSection(result, "PARA"));
            // The killed writer's temporary file is gone (the resumed run's own checkpoint cleared it).
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        }
        log.WriteLine($"{kills} kills, {midWrite} with a checkpoint half written; every one resumed (from steps {resumedAt.Min()} to {resumedAt.Max()}) to the uninterrupted run's parameters bit for bit.");
        Assert.All(resumedAt, step => Assert.InRange(step, 0, 300_000));
        Assert.Contains(resumedAt, step => step > 0);
    }
}
