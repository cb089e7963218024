namespace HpcSgd.Cli;

/// <summary>The classic example's model: one input, one output, MSE; kernels for the batch sizes the explorer tries.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = new[] { 1, 4, 10, 32, 100 })]
[Dense(inputs: 1, outputs: 1)]
public partial class ClassicRegression { }
