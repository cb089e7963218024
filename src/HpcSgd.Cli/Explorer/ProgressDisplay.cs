using HpcSgd.Tuning;
using Spectre.Console;

namespace HpcSgd.Cli.Explorer;

/// <summary>
/// Runs a sweep while showing its progress: a live Spectre.Console bar (trials done / running / diverged / stopped,
/// best so far) on an interactive terminal; one line per rung otherwise (pipes, CI logs, tests).
/// </summary>
internal static class ProgressDisplay
{
    public static SweepResult Run(IAnsiConsole console, string title, Func<SweepMonitor, SweepResult> sweep)
    {
        var monitor = new SweepMonitor();
        Task<SweepResult> running = Task.Factory.StartNew(() => sweep(monitor), TaskCreationOptions.LongRunning);
        if (console.Profile.Capabilities.Interactive)
        {
            console.Progress().AutoClear(false).HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(context =>
                {
                    ProgressTask task = context.AddTask(Markup.Escape(title));
                    while (!Finished(running, 100))
                    {
                        Update(task, monitor.Snapshot());
                    }
                    Update(task, monitor.Snapshot());
                    task.StopTask();
                });
        }
        else
        {
            int rung = -1;
            while (!Finished(running, 200))
            {
                SweepProgress p = monitor.Snapshot();
                int stage = p.FinalRound ? int.MaxValue : p.Rung;
                if (stage != rung)
                {
                    rung = stage;
                    console.WriteLine(p.FinalRound ? $"  final rounds (finalists from more seeds, rates around the best): {Describe(p)}" : $"  rung {p.Rung + 1}: {Describe(p)}");
                }
            }
        }
        // GetResult rethrows the sweep's own exception (OperationCanceledException on Ctrl+C), not an AggregateException.
        SweepResult result = running.GetAwaiter().GetResult();
        console.WriteLine($"  sweep done: {Describe(monitor.Snapshot())}, {result.WallSeconds:F1} s");
        return result;
    }

    /// <summary>Waits up to <paramref name="milliseconds"/> for the sweep to end, however it ends (Task.Wait would throw a wrapped exception).</summary>
    private static bool Finished(Task task, int milliseconds) => ((IAsyncResult)task).AsyncWaitHandle.WaitOne(milliseconds);

    private static void Update(ProgressTask task, SweepProgress p)
    {
        task.MaxValue = Math.Max(1, p.Total);
        task.Value = p.Done;
        task.Description = Markup.Escape(Describe(p));
    }

    private static string Describe(SweepProgress p) =>
        $"{p.Done}/{p.Total} trials done, {p.Running} running, {p.Diverged} diverged, {p.Stopped} stopped early" +
        (float.IsNaN(p.BestLoss) ? "" : $", best so far {p.BestLoss:G4} (lr {p.BestLearningRate:G3}, batch {p.BestBatchSize})");
}
