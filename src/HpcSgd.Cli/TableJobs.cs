using System.Globalization;
using System.Text;
using HpcSgd.Cli.Explorer;
using HpcSgd.Cli.Tables;
using HpcSgd.Compiler;
using HpcSgd.Data;
using HpcSgd.Models;
using HpcSgd.Training;
using HpcSgd.Tuning;
using nietras.SeparatedValues;

namespace HpcSgd.Cli;

/// <summary>
/// <c>hpcsgd train --data</c> and <c>hpcsgd predict</c>: a table's model trained with one learning rate and batch size
/// and saved with its preprocessing; then the same preprocessing and model applied to new rows.
/// </summary>
internal static class TableJobs
{
    /// <summary>Trains on <paramref name="path"/>; saves to <paramref name="savePath"/> when given. Exit code 0, or 3 when training diverged.</summary>
    public static int Train(string path, TableOptions tableOptions, ModelChoice choice, double validationFraction, TrainingOptions options, string? savePath, CheckpointSettings checkpoint, TextWriter output)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        PreparedTable table = PreparedTable.Load(path, tableOptions);
        TrainValidationSplit split = TrainValidationSplit.Create(table.Features, table.Targets, table.FeatureCount, validationFraction, options.Seed);
        (float targetMean, float targetScale) = (0f, 1f);
        if (table.Kind == TargetKind.Regression)
        {
            Standardizer target = Standardizer.Fit(split.TrainTargets, 1);
            target.Apply(split.TrainTargets);
            target.Apply(split.ValidationTargets);
            (targetMean, targetScale) = (target.Means[0], target.Scales[0]);
        }
        string name = Path.GetFileNameWithoutExtension(path);
        ModelDeclaration declaration = TableExperiment.Declare(table, choice, [options.BatchSize], name.Length > 0 ? name : "data");
        using CompiledModel compiled = new ModelCompiler(choice.CacheDirectory).Compile(declaration);
        output.WriteLine($"HpcSgd: {path}, target '{table.TargetName}': {(table.Kind == TargetKind.Classification ? $"classification into {table.ClassNames.Count} classes" : "regression")} " +
            $"({table.KindReason}); {table.Count} rows, {table.FeatureCount} features; {split.TrainTargets.Length} training, {split.ValidationTargets.Length} validation rows");
        output.WriteLine($"Model {compiled.Description.Name}: {string.Join(" -> ", declaration.Layers.Select(l => l.Inputs).Append(declaration.Layers[^1].Outputs))}, {declaration.Loss}; " +
            $"kernels {(compiled.FromCache ? "from the model cache" : "compiled")} in {compiled.CompileTime.TotalSeconds:F2} s");
        var preprocessing = TablePreprocessing.Of(table, declaration, split.Scaling, targetMean, targetScale, tableOptions.Missing);
        return compiled.Accept(new Trainer(split, options, preprocessing, savePath, checkpoint, output));
    }

    /// <summary>Predicts for the rows of <paramref name="dataPath"/> with the model saved in <paramref name="modelPath"/>, into the CSV <paramref name="outPath"/>.</summary>
    public static int Predict(string modelPath, string dataPath, string outPath, string? cacheDirectory, TextWriter output, TextWriter error)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (!File.Exists(modelPath))
        {
            throw new ArgumentException($"--model {modelPath}: no such file.", "model");
        }
        if (Directory.Exists(dataPath) || !File.Exists(dataPath))
        {
            throw new ArgumentException(Directory.Exists(dataPath) ? $"--data {dataPath} is a folder; give a CSV file." : $"--data {dataPath}: no such file.", "data");
        }
        if (Directory.Exists(outPath))
        {
            throw new ArgumentException($"--out {outPath} is a folder; give the predictions file's path.", "out");
        }
        TablePreprocessing preprocessing = TablePreprocessing.Read(modelPath);
        (float[] features, int[] lines, int unknown) = preprocessing.Encode(File.ReadAllText(dataPath), dataPath);
        using CompiledModel compiled = new ModelCompiler(cacheDirectory).Compile(preprocessing.Declaration([]));
        float[] outputs = compiled.Accept(new Predictor(modelPath, features));
        int width = compiled.Description.OutputCount;
        ResultFiles.WriteAtomically(outPath, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false));
            using SepWriter csv = Sep.New(',').Writer(o => o with { Escape = true }).To(writer);
            string[] header = preprocessing.PredictionHeader();
            for (int i = 0; i < lines.Length; i++)
            {
                string[] values = preprocessing.PredictionRow(lines[i], outputs.AsSpan(i * width, width));
                using SepWriter.Row row = csv.NewRow();
                for (int c = 0; c < header.Length; c++)
                {
                    row[header[c]].Set(values[c]);
                }
            }
        });
        if (unknown > 0)
        {
            error.WriteLine($"hpcsgd: note: {unknown} cell(s) of {dataPath} hold categories the model was not trained on; they were encoded as none of the known ones.");
        }
        output.WriteLine($"Predicted {lines.Length} rows of {dataPath} with {compiled.Description.Name} ({modelPath}); wrote {Path.GetFullPath(outPath)}");
        return 0;
    }

    private sealed class Trainer(TrainValidationSplit split, TrainingOptions options, TablePreprocessing preprocessing, string? savePath, CheckpointSettings checkpoint, TextWriter output)
        : IModelVisitor<int>
    {
        public int Visit<TModel>() where TModel : ISgdModel<TModel>
        {
            var training = new Dataset<TModel>(split.TrainFeatures, split.TrainTargets);
            var validation = new Dataset<TModel>(split.ValidationFeatures, split.ValidationTargets);
            var model = new Model<TModel>(options.Seed);
            options.Validate(training.Count);
            TrainingResult result = CheckpointedTraining.Run(model, training, options, checkpoint, output);
            if (result.Status == TrainingStatus.Diverged)
            {
                output.WriteLine($"Diverged at step {result.DivergedAtStep} (loss {result.FinalLoss:G4}): lower the learning rate.");
                return 3;
            }
            if (result.Status == TrainingStatus.Cancelled)
            {
                return CheckpointedTraining.CancelledExitCode;
            }
            string accuracy = TModel.Description.Loss == Loss.MeanSquaredError ? ""
                : $", validation accuracy {model.Accuracy(validation):P1}";
            output.WriteLine($"{result.Status} after {result.Steps} steps in {result.Elapsed.TotalMilliseconds:F1} ms; training loss {model.EvaluateLoss(training):G4}, " +
                $"validation loss {model.EvaluateLoss(validation):G4}{accuracy}" +
                (TModel.Description.Loss == Loss.MeanSquaredError ? $" (standardised target: x {(double)preprocessing.TargetScale * preprocessing.TargetScale:G4} for its units)" : ""));
            if (savePath is not null)
            {
                ModelFile.Save(savePath, TModel.Description, model.Parameters, [new ModelFileSection(TablePreprocessing.SectionTag, preprocessing.ToBytes())]);
                output.WriteLine($"Saved the model and its preprocessing to {Path.GetFullPath(savePath)}");
            }
            return CheckpointedTraining.ExitCode(result);
        }
    }

    private sealed class Predictor(string modelPath, float[] features) : IModelVisitor<float[]>
    {
        public float[] Visit<TModel>() where TModel : ISgdModel<TModel> => Model<TModel>.Load(modelPath).Predict(features);
    }
}
