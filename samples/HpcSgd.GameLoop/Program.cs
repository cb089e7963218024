// A game loop at 60 frames per second that learns while it runs: eight balls bounce in a box under gravity, and a
// small network learns to predict where a ball will be a quarter of a second (15 frames) ahead. Every frame the game
// records what happened (each ball's state 15 frames ago and where it is now) into a fixed-size buffer of recent
// observations (Dataset.Replace), then gives training a 2 ms slice (TrainingSession.TrainFor). Nothing is allocated per
// frame. Usage: dotnet run --project samples/HpcSgd.GameLoop -c Release [-- --frames N] [--budget-ms 2] [--no-sleep]
using System.Diagnostics;
using HpcSgd;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

int frames = 1200;
double budgetMs = 2;
bool sleep = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--frames" when i + 1 < args.Length && int.TryParse(args[i + 1], out int f) && f > 0: frames = f; i++; break;
        case "--budget-ms" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out double b) && b > 0: budgetMs = b; i++; break;
        case "--no-sleep": sleep = false; break;
        default:
            Console.Error.WriteLine($"unknown or incomplete argument '{args[i]}'; usage: [--frames N] [--budget-ms MS] [--no-sleep]");
            return 2;
    }
}

const int Balls = 8, Ahead = 15, Capacity = 2048;
var world = new BouncingBalls(Balls, seed: 1);
// Recorded before training starts: the first seconds of play fill the buffer of observations.
var history = new float[Ahead + 1, Balls * 4];
float[] features = new float[Capacity * 4], targets = new float[Capacity * 2];
for (int step = 0, written = 0; written < Capacity; step++)
{
    world.Step();
    world.Record(history, step % (Ahead + 1));
    if (step >= Ahead)
    {
        for (int b = 0; b < Balls && written < Capacity; b++, written++)
        {
            world.Observation(history, (step - Ahead) % (Ahead + 1), b, features.AsSpan(written * 4, 4), targets.AsSpan(written * 2, 2));
        }
    }
}
var data = new Dataset<BallPredictor>(features, targets);
var model = new Model<BallPredictor>(seed: 2);
using var session = new TrainingSession<BallPredictor>(model, data, new TrainingOptions
{
    LearningRate = 0.02f, Momentum = 0.9f, BatchSize = 32, Steps = int.MaxValue, Sampling = BatchSampling.RandomBatches, Seed = 3,
});

// Per frame: slice time; per second: the error of the predictions made 15 frames earlier, against not moving.
var sliceMs = new double[frames];
var predictions = new float[Ahead + 1, 2];
float[] input = new float[4], observed = new float[2], predicted = new float[2];
double errorSum = 0, stillSum = 0, firstError = double.NaN, lastError = double.NaN;
int errorCount = 0, next = 0, stepsThisSecond = 0;
long frameTicks = Stopwatch.Frequency / 60, frameStart = Stopwatch.GetTimestamp();
long allocated = 0;
int measuredFrom = Math.Min(120, frames / 4);
Console.WriteLine($"{Balls} balls, 60 frames/s, training slice {budgetMs} ms per frame, {Capacity} recent observations");
for (int frame = 0, step = Capacity / Balls + Ahead; frame < frames; frame++, step++)
{
    // What the frame's work allocates (the once-a-second console line is the sample's, not the frame's).
    long frameAllocated = GC.GetAllocatedBytesForCurrentThread();
    // Game update: move, record, learn from what the last 15 frames showed.
    world.Step();
    int slot = step % (Ahead + 1), past = (step - Ahead) % (Ahead + 1);
    world.Record(history, slot);
    for (int b = 0; b < Balls; b++, next = (next + 1) % Capacity)
    {
        world.Observation(history, past, b, input, observed);
        data.Replace(next, input, observed);
    }
    // Score the prediction made 15 frames ago for ball 0, then predict from now.
    world.Observation(history, past, 0, input, observed);
    if (frame >= Ahead)
    {
        double dx = predictions[slot, 0] - observed[0], dy = predictions[slot, 1] - observed[1];
        double sx = input[0] - observed[0], sy = input[1] - observed[1];
        errorSum += Math.Sqrt(dx * dx + dy * dy);
        stillSum += Math.Sqrt(sx * sx + sy * sy);
        errorCount++;
    }
    world.State(slot, 0, history, input);
    model.Predict(input, predicted);
    predictions[slot, 0] = predicted[0];
    predictions[slot, 1] = predicted[1];

    TrainingSlice slice = session.TrainFor(TimeSpan.FromMilliseconds(budgetMs));
    sliceMs[frame] = slice.Elapsed.TotalMilliseconds;
    stepsThisSecond += slice.Steps;
    if (frame >= measuredFrom)
    {
        allocated += GC.GetAllocatedBytesForCurrentThread() - frameAllocated;
    }

    if ((frame + 1) % 60 == 0)
    {
        lastError = errorSum / Math.Max(1, errorCount);
        if (double.IsNaN(firstError))
        {
            firstError = lastError;
        }
        Console.WriteLine($"second {(frame + 1) / 60,3}: {stepsThisSecond,6} steps, loss {slice.MeanLoss:F5}, prediction error {lastError:F4} (standing still: {stillSum / Math.Max(1, errorCount):F4})");
        errorSum = stillSum = 0;
        errorCount = stepsThisSecond = 0;
    }
    if (sleep)
    {
        frameStart += frameTicks;
        TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), frameStart);
        if (wait > TimeSpan.Zero)
        {
            Thread.Sleep(wait);
        }
    }
}
double[] measured = sliceMs[measuredFrom..];
Array.Sort(measured);
double P(double q) => measured[(int)Math.Round(q * (measured.Length - 1))];
Console.WriteLine($"training slice over frames {measuredFrom}..{frames - 1}: p50 {P(0.5):F3} ms, p99 {P(0.99):F3} ms, max {measured[^1]:F3} ms; " +
    $"{allocated} bytes allocated in {frames - measuredFrom} frames");
bool learned = lastError < 0.5 * firstError;
Console.WriteLine(learned ? $"Learned: prediction error {firstError:F4} -> {lastError:F4}" : $"NOT learned: prediction error {firstError:F4} -> {lastError:F4}");
// Allocation per frame would grow with the frames; a one-time runtime event (a method's tier-up) is tolerated.
bool allocationFree = allocated <= 1024;
if (!allocationFree)
{
    Console.WriteLine($"ALLOCATED: {allocated} bytes in {frames - measuredFrom} frames");
}
return learned && allocationFree ? 0 : 1;

/// <summary>The network: a ball's position and velocity in, its position 15 frames later out.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = [32])]
[Dense(4, 32, Activation = Activation.ReLU)]
[Dense(32, 32, Activation = Activation.ReLU)]
[Dense(32, 2)]
public partial class BallPredictor { }

/// <summary>Balls in the unit box under gravity, bouncing off the walls with a little loss of speed.</summary>
internal sealed class BouncingBalls
{
    private const float Dt = 1f / 60, Gravity = -1.5f, Bounce = 0.9f;
    private readonly float[] x, y, vx, vy;
    private readonly Random random;

    public BouncingBalls(int count, int seed)
    {
        random = new Random(seed);
        x = new float[count]; y = new float[count]; vx = new float[count]; vy = new float[count];
        for (int b = 0; b < count; b++)
        {
            Launch(b);
        }
    }

    private void Launch(int b)
    {
        x[b] = random.NextSingle();
        y[b] = 0.5f + 0.5f * random.NextSingle();
        vx[b] = 2f * random.NextSingle() - 1f;
        vy[b] = 2f * random.NextSingle() - 1f;
    }

    public void Step()
    {
        for (int b = 0; b < x.Length; b++)
        {
            vy[b] += Gravity * Dt;
            x[b] += vx[b] * Dt;
            y[b] += vy[b] * Dt;
            if (x[b] < 0f) { x[b] = -x[b]; vx[b] = -vx[b] * Bounce; }
            if (x[b] > 1f) { x[b] = 2f - x[b]; vx[b] = -vx[b] * Bounce; }
            if (y[b] < 0f) { y[b] = -y[b]; vy[b] = -vy[b] * Bounce; }
            if (y[b] > 1f) { y[b] = 2f - y[b]; vy[b] = -vy[b] * Bounce; }
            // A ball that has nearly stopped is thrown again, so the game never settles.
            if (Math.Abs(vy[b]) < 0.05f && y[b] < 0.02f)
            {
                Launch(b);
            }
        }
    }

    /// <summary>Writes every ball's (x, y, vx, vy) into row <paramref name="slot"/> of the history.</summary>
    public void Record(float[,] history, int slot)
    {
        for (int b = 0; b < x.Length; b++)
        {
            history[slot, 4 * b] = x[b];
            history[slot, 4 * b + 1] = y[b];
            history[slot, 4 * b + 2] = vx[b];
            history[slot, 4 * b + 3] = vy[b];
        }
    }

    /// <summary>Ball <paramref name="b"/>'s state at history row <paramref name="slot"/>.</summary>
    public void State(int slot, int b, float[,] history, Span<float> state)
    {
        for (int i = 0; i < 4; i++)
        {
            state[i] = history[slot, 4 * b + i];
        }
    }

    /// <summary>An observation: ball <paramref name="b"/>'s state at history row <paramref name="past"/>, and its position now.</summary>
    public void Observation(float[,] history, int past, int b, Span<float> state, Span<float> position)
    {
        State(past, b, history, state);
        position[0] = x[b];
        position[1] = y[b];
    }
}
