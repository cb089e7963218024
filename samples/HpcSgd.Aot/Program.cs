// Trains the Fashion-MNIST-shaped MLP (784-128-10) on synthetic data and prints the time per step, so a NativeAOT
// build can be compared with the JIT: `HpcSgd.Aot [STEPS] [ROUNDS]`. Exit code 1 if the loss did not fall.
using System.Diagnostics;
using System.Runtime.Intrinsics;
using HpcSgd;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

int steps = args.Length > 0 && int.TryParse(args[0], out int s) && s > 0 ? s : 300;
int rounds = args.Length > 1 && int.TryParse(args[1], out int r) && r > 0 ? r : 5;
const int Samples = 4096;
var random = new Random(1);
var features = new float[Samples * AotMlp.InputCount];
var labels = new int[Samples];
for (int i = 0; i < Samples; i++)
{
    labels[i] = random.Next(AotMlp.OutputCount);
    for (int j = 0; j < AotMlp.InputCount; j++)
    {
        // Class-dependent pixels, half of them zero, as in Fashion-MNIST.
        features[i * AotMlp.InputCount + j] = random.NextDouble() < 0.5 ? 0f : (float)random.NextDouble() * (1f + (j % 10 == labels[i] ? 1f : 0f));
    }
}
var data = new Dataset<AotMlp>(features, labels);
var model = new Model<AotMlp>(seed: 1);
using var session = new TrainingSession<AotMlp>(model, data, new TrainingOptions { LearningRate = 0.05f, BatchSize = 64, Steps = int.MaxValue, Seed = 2 });
// Run through the dotnet host, the app is JIT-compiled; published with PublishAot, it is its own native executable.
string runtime = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? "JIT" : "NativeAOT";
Console.WriteLine($"{runtime}; widest accelerated vectors: {(Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 32)} bits");
float first = session.TrainSteps(20).MeanLoss;
var perStep = new List<double>();
for (int round = 0; round < rounds; round++)
{
    long start = Stopwatch.GetTimestamp();
    session.TrainSteps(steps);
    perStep.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / steps);
}
perStep.Sort();
float last = session.TrainSteps(20).MeanLoss;
Console.WriteLine($"batch 64: {perStep[perStep.Count / 2]:F1} us/step (median of {rounds} rounds of {steps} steps); loss {first:F3} -> {last:F3}");
return last < first ? 0 : 1;

/// <summary>The MLP of the benchmarks' W4 workload.</summary>
#if HPCSGD_MANY_SIZES
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [1, 8, 32, 64, 128, 256, 512, 1024, 2048])]
#else
[SgdModel(Loss.SoftmaxCrossEntropy, BatchSizes = [64])]
#endif
[Dense(784, 128, Activation = Activation.ReLU)]
[Dense(128, 10)]
public partial class AotMlp { }
