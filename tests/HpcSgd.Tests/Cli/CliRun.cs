using HpcSgd.Cli;

namespace HpcSgd.Tests.Cli;

/// <summary>Runs the command line in-process and captures what it prints and its exit code.</summary>
internal static class CliRun
{
    public static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
