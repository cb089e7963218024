using BenchmarkDotNet.Running;

namespace HpcSgd.Benchmarks;

/// <summary>Runs the BenchmarkDotNet suite; pass BenchmarkDotNet's own arguments (e.g. --filter, --job short).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
