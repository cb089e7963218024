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
        switch (args.FirstOrDefault())
        {
            case "machine":
                MachineProbe.Write(args[1]);
                return 0;
            case "quality":
                QualityCheck.Write(args[1]);
                return 0;
            case "sweep-w4":
                SweepTiming.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount);
                return 0;
            case "fashion-grid":
                SweepTiming.Grid(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1,
                    args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
                return 0;
            case "paired":
                return PairedSteps.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 21, args.Length > 3 ? args[3] : null);
            case "serve":
                return SampleServer.Run();
            case "roofline":
                return RooflineChart.Write(args[1]);
            case "compile-times":
                return CompileTimes.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3);
            case "compile-once":
                return CompileTimes.Once(args[1], args[2]);
            case "norms-cost":
                return GradientNormCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 21);
            case "checkpoint-cost":
                return CheckpointCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 21);
            case "frame-budget":
                return FrameBudget.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 600,
                    args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2);
            case "range-vs-grid":
                return RangeVersusGrid.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100,
                    args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 3,
                    args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 5);
            case "recommend-vs-grid":
                return RecommendationVersusGrid.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100,
                    args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 3);
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
                return SuiteReport.Write(args[1]);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
