using HpcSgd.Data;

namespace HpcSgd.Benchmarks.Workloads;

/// <summary>One workload's training data: features row-major and targets (values for MSE, class indices as floats for softmax).</summary>
public sealed record WorkloadData(string Name, float[] Features, float[] Targets, int InputCount, int Count, string Source);

/// <summary>The data of ../shared/WORKLOADS.md, generated from fixed seeds or read from Fashion-MNIST; each built once per process.</summary>
public static class WorkloadCatalog
{
    private static readonly Dictionary<string, WorkloadData> Cache = [];

    /// <summary>W1 with n = 100 (the classic example), W1 with n = 1,000,000, W2, W3, W4.</summary>
    public static readonly string[] Names = ["W1n100", "W1", "W2", "W3", "W4"];

    /// <summary>Floating-point operations per sample of one training step (multiply-add = 2): forward, weight gradient,
    /// and the input gradient of every layer but the first.</summary>
    public static double FlopsPerSample(string name) => name switch
    {
        "W1n100" or "W1" => 4.0 * 1,
        "W2" => 4.0 * 64,
        "W3" => 4.0 * 784 * 10,
        "W4" => 4.0 * 784 * 128 + 6.0 * 128 * 10,
        _ => throw new ArgumentException(name),
    };

    public static WorkloadData Get(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out WorkloadData? data))
            {
                data = Build(name);
                Cache[name] = data;
            }
            return data;
        }
    }

    private static WorkloadData Build(string name)
    {
        switch (name)
        {
            case "W1n100":
            case "W1":
            {
                int n = name == "W1" ? 1_000_000 : 100;
                (float[] x, float[] y) = ClassicExample.Generate(n, seed: 1);
                return new WorkloadData(name, x, y, 1, n, $"x ~ U(0,1), y = 3x + 2 + U(0,1), n = {n:N0}");
            }
            case "W2":
            {
                const int n = 1_000_000, d = 64;
                var random = new Random(2);
                var w = new float[d];
                for (int j = 0; j < d; j++) w[j] = Gaussian(random);
                var x = new float[n * d];
                var y = new float[n];
                for (int i = 0; i < n; i++)
                {
                    float dot = 0;
                    for (int j = 0; j < d; j++)
                    {
                        float v = Gaussian(random);
                        x[i * d + j] = v;
                        dot += v * w[j];
                    }
                    y[i] = dot + 0.1f * Gaussian(random);
                }
                return new WorkloadData(name, x, y, d, n, "x ~ N(0,1)^64, y = x.w* + 0.1 N(0,1), n = 1,000,000");
            }
            case "W3":
            case "W4":
            {
                LabeledImages train = FashionMnist.Load(train: true);
                float[] labels = train.Labels.Select(l => (float)l).ToArray();
                return new WorkloadData(name, train.Pixels, labels, FashionMnist.PixelCount, train.Count, "Fashion-MNIST train, 60,000 x 784");
            }
            default:
                throw new ArgumentException($"unknown workload '{name}'", nameof(name));
        }
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
