using BenchmarkDotNet.Running;

namespace HpcSgd.Benchmarks;

/// <summary>
/// The benchmark suite's entry point. With BenchmarkDotNet's arguments (e.g. --filter '*' --job short) it runs the
/// step benchmarks; 'machine OUT.json' measures the machine's limits; 'quality OUT.json' runs the one-epoch quality
/// check; 'sweep-w4 [THREADS]' times issue #4's 6 x 6 sweep on W4; 'fashion-grid [RUNGS] [EVALUATIONS]' times issue #15's 6 x 6 grid against its roofline; 'paired CELLS [ROUNDS] [OUT.csv]' measures step time against an FMA probe sample taken just before each step sample; 'serve' answers measurement requests on standard input (see SampleServer); 'roofline DIR' charts DIR/versus.csv; 'compile-times [REPEATS]' times run-time model compilation in fresh processes; 'norms-cost [ROUNDS]' measures what the per-example gradient norms add to a gradient; 'checkpoint-cost [REPEATS]' times saving and restoring a W4 session's checkpoint; 'frame-budget [FRAMES] [BUDGET_MS]' runs W4 in 60-frames-per-second slices of TrainFor; 'report DIR' turns the results in DIR into a markdown table of ratios and a PNG chart; 'tiles [OUT_DIR] [--check] [--listing FILE]' counts FMAs, memory accesses and spills in the generated kernels' inner loops in both register budgets. benchmarks/run-suite
/// runs all of it together with the PyTorch script.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return Dispatch(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    private static int Dispatch(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "machine":
                MachineProbe.Write(Required(args, 1, "machine OUT.json"));
                return 0;
            case "quality":
                QualityCheck.Write(Required(args, 1, "quality OUT.json"));
                return 0;
            case "sweep-w4":
                SweepTiming.Run(Int(args, 1, Environment.ProcessorCount));
                return 0;
            case "fashion-grid":
                SweepTiming.Grid(Int(args, 1, 1),
                    Int(args, 2, 10));
                return 0;
            case "paired":
                return PairedSteps.Run(Required(args, 1, "paired CELLS [ROUNDS] [OUT.csv]"), Int(args, 2, 21), args.ElementAtOrDefault(3));
            case "serve":
                return SampleServer.Run();
            case "roofline":
                return RooflineChart.Write(Required(args, 1, "roofline DIR"));
            case "compile-times":
                return CompileTimes.Run(Int(args, 1, 3));
            case "compile-once":
                return CompileTimes.Once(Required(args, 1, "compile-once SHAPE CACHE"), Required(args, 2, "compile-once SHAPE CACHE"));
            case "norms-cost":
                return GradientNormCost.Run(Int(args, 1, 21));
            case "checkpoint-cost":
                return CheckpointCost.Run(Int(args, 1, 21));
            case "frame-budget":
                return FrameBudget.Run(Int(args, 1, 600),
                    Number(args, 2, 2));
            case "range-vs-grid":
                return RangeVersusGrid.Run(Required(args, 1, "range-vs-grid FOLDER [EPOCHS] [GRID_SEEDS] [RANGE_SEEDS]"), Int(args, 2, 100),
                    Int(args, 3, 3),
                    Int(args, 4, 5));
            case "recommend-vs-grid":
                return RecommendationVersusGrid.Run(Required(args, 1, "recommend-vs-grid FOLDER [EPOCHS] [GRID_SEEDS]"), Int(args, 2, 100),
                    Int(args, 3, 3));
            case "tiles":
            {
                int given = Array.IndexOf(args, "--listing");
                string? listing = given > 0 && given + 1 < args.Length ? args[given + 1] : null;
                string? outDirectory = args.Skip(1).Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && a != listing).FirstOrDefault();
                return TileListing.Run(outDirectory, args.Contains("--check"), listing);
            }
            case "tiles-compile":
                return TileListing.CompileKernels();
            case "report":
                return SuiteReport.Write(Required(args, 1, "report DIR"));
            case "core-pair":
                return CorePair.Run(Int(args, 1, 100), args.Contains("--busy"));
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }

    private sealed class UsageException(string message) : Exception(message);

    private static string Required(string[] args, int index, string usage) =>
        index < args.Length ? args[index] : throw new UsageException($"missing argument {index}; usage: {usage}");

    private static int Int(string[] args, int index, int fallback) =>
        index >= args.Length ? fallback
        : int.TryParse(args[index], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) ? value
        : throw new UsageException($"argument {index} of '{args[0]}' must be an integer, not '{args[index]}'");

    private static double Number(string[] args, int index, double fallback) =>
        index >= args.Length ? fallback
        : double.TryParse(args[index], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) ? value
        : throw new UsageException($"argument {index} of '{args[0]}' must be a number, not '{args[index]}'");
}
