namespace HpcSgd.Cli;

/// <summary>The classic example's model: one input, one output, MSE; kernels for the batch sizes people try first.</summary>
[SgdModel(Loss.MeanSquaredError, BatchSizes = new[] { 1, 10, 32, 100 })]
[Dense(inputs: 1, outputs: 1)]
public partial class ClassicRegression { }
