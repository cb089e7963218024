using System.Diagnostics;
using System.Globalization;
using System.Text;
using HpcSgd.Kernels;
using HpcSgd.Benchmarks.Workloads;
using HpcSgd.Models;

namespace HpcSgd.Benchmarks;

/// <summary>
/// The machine code of the generated kernels' inner loops, per register budget: runs W3's and W4's training steps in a
/// child process with the JIT's listing on (<c>DOTNET_JitDisasm</c>), once as is and once with
/// <c>DOTNET_EnableAVX512=0</c> (16 registers, an AVX2 CPU's budget), and counts, per kernel, in its innermost loops:
/// instructions, FMAs, memory reads, stores and stack accesses (a spill or its reload). With <c>--check</c> it fails
/// when a loop that does FMAs moves a vector register to or from the stack, or when no such loop was found at all.
/// Given a directory, it writes the table (tiles.md) and the whole listing of each mode (listing-MODE.txt) there. With
/// <c>--listing FILE</c> it reads a listing made elsewhere instead (the kernel tests' listings in CI, ARM64 under qemu).
/// </summary>
public static class TileListing
{
    private static readonly (string Name, Dictionary<string, string> Environment)[] Modes =
    [
        ("default", new()),
        ("avx512off", new() { ["DOTNET_EnableAVX512"] = "0" }),
    ];

    private static readonly int[] Batches = [1, 64, 512];

    /// <param name="outDirectory">Where to write tiles.md and the listings, or null.</param>
    /// <param name="check">Fail (exit 1) on a vector spill inside an FMA loop, or when no FMA loop is found.</param>
    /// <param name="givenListing">A listing made elsewhere (e.g. the ARM64 kernel tests under qemu) to read instead of compiling W3 and W4 here.</param>
    public static int Run(string? outDirectory, bool check, string? givenListing = null)
    {
        var report = new StringBuilder();
        string subject = givenListing is null
            ? $"Inner loops of the generated W3 and W4 training-step kernels at batch {string.Join(", ", Batches)}, {MachineProbe.CpuName()}."
            : $"Inner loops of the kernels in {Path.GetFileName(givenListing)}.";
        report.AppendLine(subject);
        report.AppendLine("Per kernel, its innermost loops that do FMAs (reads count broadcasts and FMAs with a memory operand): the hottest (most FMAs) and the sum over all of them; 'stack' counts spills and reloads, of vector registers (bold; they fail `--check`) and of general ones.");
        report.AppendLine();
        report.AppendLine("| mode | kernel | hottest loop: instructions, FMAs, reads, stores, vector / general stack | all FMA loops: count, vector / general stack |");
        report.AppendLine("|---|---|---|---|");
        int failures = 0;
        var hotLoops = new StringBuilder();
        foreach ((string mode, Dictionary<string, string> environment) in givenListing is null ? Modes : [("given", new())])
        {
            string listing = givenListing is null ? Listing(environment) : File.ReadAllText(givenListing);
            if (outDirectory is not null && givenListing is null)
            {
                Directory.CreateDirectory(outDirectory);
                File.WriteAllText(Path.Combine(outDirectory, $"listing-{mode}.txt"), listing);
            }
            IReadOnlyList<ListingParser.MethodLoops> methods = ListingParser.Parse(listing);
            if (methods.Count == 0)
            {
                Console.Error.WriteLine($"{mode}: no kernel listing found (DOTNET_JitDisasm gave no 'Dense*' method)");
                failures++;
            }
            foreach (ListingParser.MethodLoops method in methods)
            {
                ListingParser.LoopCounts[] fmaLoops = [.. method.InnerLoops.Where(l => l.Fmas > 0)];
                if (fmaLoops.Length == 0)
                    continue;
                ListingParser.LoopCounts hot = fmaLoops.MaxBy(l => l.Fmas)!;
                int vectorStack = fmaLoops.Sum(l => l.VectorStack), generalStack = fmaLoops.Sum(l => l.GeneralStack);
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {mode} | `{method.Name}` | {hot.Instructions}, {hot.Fmas}, {hot.Reads}, {hot.Stores}, **{hot.VectorStack}**, {hot.GeneralStack} | {fmaLoops.Length}, **{vectorStack}**, {generalStack} |");
                if (method.Name.Contains("784x128", StringComparison.Ordinal) && method.Name.Contains("Batch64", StringComparison.Ordinal))
                    hotLoops.Append(CultureInfo.InvariantCulture, $"\n{mode}, `{method.Name}`, its hottest loop:\n\n```asm\n{hot.Text.Trim('\n', '\r')}\n```\n");
                if (vectorStack > 0)
                {
                    Console.Error.WriteLine($"{mode}: {method.Name} moves vector registers to or from the stack {vectorStack} times inside its FMA loops (a spill)");
                    failures++;
                }
            }
            if (!methods.Any(m => m.InnerLoops.Any(l => l.Fmas >= 8)))
            {
                Console.Error.WriteLine($"{mode}: no inner loop with 8 or more FMAs found in the listing");
                failures++;
            }
        }
        report.Append(hotLoops);
        Console.Write(report);
        if (outDirectory is not null)
            File.WriteAllText(Path.Combine(outDirectory, "tiles.md"), report.ToString());
        return check && failures > 0 ? 1 : 0;
    }

    /// <summary>Steps W3 and W4 at each batch size a few times, so that the JIT compiles (and lists) their kernels.</summary>
    public static int CompileKernels()
    {
        foreach (int batch in Batches)
        {
            Steps<W3>(batch);
            Steps<W4>(batch);
        }
        return 0;
    }

    private static void Steps<TModel>(int batch) where TModel : ISgdModel<TModel>
    {
        var parameters = new float[TModel.Description.ParameterCount];
        var gradient = new float[parameters.Length];
        var inputs = new float[batch * TModel.Description.InputCount];
        var targets = new float[batch * TModel.Description.TargetWidth];
        var workspace = new float[TModel.WorkspaceLength(batch)];
        for (int i = 0; i < 3; i++)
            TModel.TrainStep(parameters, inputs, targets, gradient, [], workspace, batch, new UpdateRule(0.01f, 0f, 0f), float.PositiveInfinity);
    }

    private static string Listing(Dictionary<string, string> environment)
    {
        string file = Path.Combine(Path.GetTempPath(), $"hpcsgd-tiles-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(TileListing).Assembly.Location);
        start.ArgumentList.Add("tiles-compile");
        start.Environment["DOTNET_JitDisasm"] = "Dense*";
        start.Environment["DOTNET_JitStdOutFile"] = file;
        foreach ((string key, string value) in environment)
            start.Environment[key] = value;
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        string output = child.StandardOutput.ReadToEnd() + child.StandardError.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"tiles-compile exited with {child.ExitCode}: {output}");
        try
        {
            return File.Exists(file) ? File.ReadAllText(file) : "";
        }
        finally
        {
            File.Delete(file);
        }
    }
}
