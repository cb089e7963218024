using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Tests.Models;
using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

/// <summary>
/// Logistic and softmax regression against the Bayes-optimal classifier of the distribution that made the
/// data (known in closed form here): on held-out data the trained model must come within
/// <see cref="AccuracyMargin"/> of it, on a separable and on a noisy problem.
/// </summary>
public class ClassifierTests
{
    /// <summary>Finite training data and SGD noise cost a little accuracy; two points is far below a broken model's loss.</summary>
    private const double AccuracyMargin = 0.02;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LogisticRegression_ReachesBayesAccuracy(bool noisy)
    {
        var random = new Random(noisy ? 21 : 20);
        const int inputs = 19;
        double[] w = Enumerable.Range(0, inputs).Select(_ => Gaussian(random)).ToArray();
        double scale = noisy ? 0.7 : 50; // steep: labels follow the sign; shallow: labels often flip
        (float[] trainX, int[] trainY, _) = Logistic(random, w, scale, 4000);
        (float[] testX, int[] testY, double bayes) = Logistic(random, w, scale, 4000);

        var model = new Model<LogisticModel>(seed: 3);
        TrainingResult result = Trainer.Train(model, new Dataset<LogisticModel>(trainX, trainY),
            new TrainingOptions { LearningRate = 0.5f, BatchSize = 50, Epochs = 30, Momentum = 0.9f, Schedule = LearningRateSchedule.Cosine() });

        Assert.Equal(TrainingStatus.Completed, result.Status);
        double accuracy = model.Accuracy(new Dataset<LogisticModel>(testX, testY));
        Assert.True(accuracy >= bayes - AccuracyMargin, $"accuracy {accuracy:F4}, Bayes-optimal {bayes:F4}");
        if (!noisy)
        {
            Assert.True(bayes >= 0.99, $"the separable problem should be nearly perfectly classifiable, Bayes {bayes}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxRegression_ReachesBayesAccuracy(bool noisy)
    {
        var random = new Random(noisy ? 31 : 30);
        const int inputs = 23, classes = 4;
        double[][] means = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, inputs).Select(_ => Gaussian(random) * 0.5).ToArray()).ToArray();
        double sigma = noisy ? 0.9 : 0.1;
        (float[] trainX, int[] trainY, _) = Blobs(random, means, sigma, 4000);
        (float[] testX, int[] testY, double bayes) = Blobs(random, means, sigma, 4000);

        var model = new Model<SoftmaxModel>(seed: 4);
        TrainingResult result = Trainer.Train(model, new Dataset<SoftmaxModel>(trainX, trainY),
            new TrainingOptions { LearningRate = 0.2f, BatchSize = 32, Epochs = 30, Momentum = 0.9f, Schedule = LearningRateSchedule.Cosine() });

        Assert.Equal(TrainingStatus.Completed, result.Status);
        double accuracy = model.Accuracy(new Dataset<SoftmaxModel>(testX, testY));
        Assert.True(accuracy >= bayes - AccuracyMargin, $"accuracy {accuracy:F4}, Bayes-optimal {bayes:F4}");
        if (!noisy)
        {
            Assert.True(bayes >= 0.99, $"the separable problem should be nearly perfectly classifiable, Bayes {bayes}");
        }
        else
        {
            Assert.True(bayes < 0.97, $"the noisy problem should not be separable, Bayes {bayes}");
        }
    }

    /// <summary>P(y = 1 | x) = sigmoid(scale * w.x); the Bayes classifier predicts 1 where w.x &gt; 0.</summary>
    private static (float[] X, int[] Y, double BayesAccuracy) Logistic(Random random, double[] w, double scale, int count)
    {
        var x = new float[count * w.Length];
        var y = new int[count];
        int bayesCorrect = 0;
        for (int s = 0; s < count; s++)
        {
            double dot = 0;
            for (int i = 0; i < w.Length; i++)
            {
                x[s * w.Length + i] = (float)Gaussian(random);
                dot += w[i] * x[s * w.Length + i];
            }
            y[s] = random.NextDouble() < 1 / (1 + Math.Exp(-scale * dot)) ? 1 : 0;
            bayesCorrect += (dot > 0 ? 1 : 0) == y[s] ? 1 : 0;
        }
        return (x, y, (double)bayesCorrect / count);
    }

    /// <summary>Equal-prior isotropic Gaussians around <paramref name="means"/>; the Bayes classifier is the nearest mean.</summary>
    private static (float[] X, int[] Y, double BayesAccuracy) Blobs(Random random, double[][] means, double sigma, int count)
    {
        int inputs = means[0].Length;
        var x = new float[count * inputs];
        var y = new int[count];
        int bayesCorrect = 0;
        for (int s = 0; s < count; s++)
        {
            int label = random.Next(means.Length);
            y[s] = label;
            for (int i = 0; i < inputs; i++)
            {
                x[s * inputs + i] = (float)(means[label][i] + sigma * Gaussian(random));
            }
            int nearest = 0;
            double best = double.MaxValue;
            for (int c = 0; c < means.Length; c++)
            {
                double distance = 0;
                for (int i = 0; i < inputs; i++)
                {
                    double d = x[s * inputs + i] - means[c][i];
                    distance += d * d;
                }
                if (distance < best)
                {
                    best = distance;
                    nearest = c;
                }
            }
            bayesCorrect += nearest == label ? 1 : 0;
        }
        return (x, y, (double)bayesCorrect / count);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
