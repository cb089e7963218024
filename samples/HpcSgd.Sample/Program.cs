using System;
using System.IO;
using HpcSgd;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;

// Data: x ~ U(0, 1), y = 3x + 2 + U(0, 1) noise, 100 samples.
(float[] x, float[] y) = ClassicExample.Generate(count: 100, seed: 1);
var data = new Dataset<SeedRegression>(x, y);

// Train: mini-batch SGD, batch 10 (a declared size: its kernels have compile-time trip counts).
var model = new Model<SeedRegression>(seed: 42);
TrainingResult result = Trainer.Train(model, data, new TrainingOptions
{
    LearningRate = 0.1f,
    BatchSize = 10,
    Epochs = 300,
    Momentum = 0.9f,
    Schedule = LearningRateSchedule.Cosine(),
    ProgressInterval = 1000,
    Progress = p => Console.WriteLine($"step {p.Step}: loss {p.Loss:F4}, learning rate {p.LearningRate:G3}"),
});
Console.WriteLine($"{result.Status} after {result.Steps} steps");

// Predict into a caller-owned span: no allocation.
Span<float> prediction = stackalloc float[SeedRegression.OutputCount];
model.Predict([0.5f], prediction);
Console.WriteLine($"slope {model.Parameters[0]:F3}, intercept {model.Parameters[1]:F3}, f(0.5) = {prediction[0]:F3}");

// Save and load: the file carries the model's name, shape hash, format version and a checksum.
string path = Path.Combine(Path.GetTempPath(), "seed-regression.hpcsgd");
model.Save(path);
Model<SeedRegression> loaded = Model<SeedRegression>.Load(path);
Console.WriteLine($"reloaded: f(0.5) = {loaded.Predict([0.5f])[0]:F3}");

[SgdModel(Loss.MeanSquaredError, BatchSizes = new[] { 10, 64, 256 })]
[Dense(inputs: 1, outputs: 1)]
public partial class SeedRegression { }
