using System.Diagnostics;
using HpcSgd.Cli;

namespace HpcSgd.Tests.Cli;

/// <summary>Runs the command line in-process, or as a child process (for kills and signals), and captures what it prints and its exit code.</summary>
internal static class CliRun
{
    public static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>The CLI as a child process with redirected output.</summary>
    public static ProcessStartInfo ChildStart(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "HpcSgd.Cli.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }

    /// <summary>Runs the CLI as a child process to its end (at most 5 minutes); standard output then standard error.</summary>
    public static async Task<(int ExitCode, string Output)> Child(params string[] args)
    {
        using Process child = Process.Start(ChildStart(args))!;
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        Task<string> error = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (child.ExitCode, await output + await error);
    }

    /// <summary>Polls until <paramref name="path"/> exists (a child process has started writing), for at most a minute of polls.</summary>
    public static async Task WaitForFile(string path)
    {
        for (int poll = 0; poll < 12_000 && !File.Exists(path); poll++)
        {
            await Task.Delay(5);
        }
    }
}
