using System.Globalization;
using HpcSgd.Cli.Tables;
using HpcSgd.Models;

namespace HpcSgd.Tests.Cli;

/// <summary>The declaration the report tells a user to paste for pasted.csv (3 numeric columns, a yes/no label), at build time.</summary>
[SgdModel(Loss.BinaryCrossEntropy, BatchSizes = [8])]
[Dense(3, 1)]
public partial class PastedModel { }

/// <summary>From exploring to shipping: train a table's model, save it with its preprocessing, predict new rows, load it into the pasted declaration.</summary>
public sealed class TableTrainPredictTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hpcsgd-table-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    /// <summary>label = yes when a + b > c, on 400 rows; and 100 fresh rows without the label.</summary>
    private (string Training, string Fresh, bool[] Truth) Tables()
    {
        var random = new Random(11);
        var rows = new List<string> { "a,b,c,label" };
        var fresh = new List<string> { "c,a,b" }; // another column order, no label
        var truth = new List<bool>();
        for (int i = 0; i < 500; i++)
        {
            double a = random.NextDouble() * 4, b = random.NextDouble() * 2, c = random.NextDouble() * 6;
            if (i < 400)
            {
                rows.Add(FormattableString.Invariant($"{a:F3},{b:F3},{c:F3},{(a + b > c ? "yes" : "no")}"));
            }
            else
            {
                fresh.Add(FormattableString.Invariant($"{c:F3},{a:F3},{b:F3}"));
                truth.Add(a + b > c);
            }
        }
        File.WriteAllLines(PathOf("pasted.csv"), rows);
        File.WriteAllLines(PathOf("fresh.csv"), fresh);
        return (PathOf("pasted.csv"), PathOf("fresh.csv"), [.. truth]);
    }

    [Fact]
    public void TrainSavePredict_AndTheFileLoadsIntoThePastedDeclaration()
    {
        (string training, string fresh, bool[] truth) = Tables();
        string model = PathOf("pasted.hpcsgd"), predictions = PathOf("predictions.csv"), cache = PathOf("models");
        (int exit, string output, string error) = CliRun.Run(["train", "--data", training, "--target", "label", "--batch-size", "8", "--epochs", "40",
            "--lr", "0.1", "--save", model, "--model-cache", cache]);
        Assert.True(exit == 0, error + output);
        Assert.Contains("classification into 2 classes (the target column 'label' holds text labels", output);
        Assert.Contains("Model PastedModel: 3 -> 1, BinaryCrossEntropy", output);

        (exit, output, error) = CliRun.Run(["predict", "--model", model, "--data", fresh, "--out", predictions, "--model-cache", cache]);
        Assert.True(exit == 0, error + output);
        string[] lines = File.ReadAllLines(predictions);
        Assert.Equal("line,label,p(no),p(yes)", lines[0]);
        Assert.Equal(truth.Length + 1, lines.Length);
        string[][] rows = [.. lines.Skip(1).Select(l => l.Split(','))];
        Assert.Equal(Enumerable.Range(2, truth.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r[0]));
        double accuracy = rows.Zip(truth, (r, t) => r[1] == (t ? "yes" : "no")).Count(x => x) / (double)truth.Length;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");

        // The pasted declaration loads the file; with the saved preprocessing it predicts what the CLI wrote.
        Model<PastedModel> pasted = Model<PastedModel>.Load(model);
        TablePreprocessing preprocessing = TablePreprocessing.Read(model);
        (float[] features, _, _) = preprocessing.Encode(File.ReadAllText(fresh), fresh);
        float[] probabilities = pasted.Predict(features);
        for (int i = 0; i < truth.Length; i++)
        {
            Assert.Equal(float.Parse(rows[i][3], CultureInfo.InvariantCulture), probabilities[i]);
        }
    }

    [Fact]
    public void Predict_NamesWhatIsWrong()
    {
        (string training, _, _) = Tables();
        string model = PathOf("m.hpcsgd"), cache = PathOf("models");
        Assert.Equal(0, CliRun.Run(["train", "--data", training, "--target", "label", "--batch-size", "8", "--epochs", "2", "--save", model, "--model-cache", cache]).Exit);

        File.WriteAllText(PathOf("short.csv"), "a,b\n1,2\n");
        (int exit, _, string error) = CliRun.Run(["predict", "--model", model, "--data", PathOf("short.csv"), "--out", PathOf("p.csv"), "--model-cache", cache]);
        Assert.Equal(1, exit);
        Assert.StartsWith($"hpcsgd: {PathOf("short.csv")}:1: no column named 'c', which the model was trained on", error);

        File.WriteAllText(PathOf("gap.csv"), "a,b,c\n1,2,3\n1,,3\n");
        (exit, _, error) = CliRun.Run(["predict", "--model", model, "--data", PathOf("gap.csv"), "--out", PathOf("p.csv"), "--model-cache", cache]);
        Assert.Equal(1, exit);
        Assert.StartsWith($"hpcsgd: {PathOf("gap.csv")}:3:2: missing value in column 'b'", error);
        Assert.False(File.Exists(PathOf("p.csv")));

        string classic = PathOf("classic.hpcsgd");
        Assert.Equal(0, CliRun.Run(["train", "--steps", "10", "--save", classic]).Exit);
        (exit, _, error) = CliRun.Run(["predict", "--model", classic, "--data", PathOf("gap.csv"), "--out", PathOf("p.csv")]);
        Assert.Equal(1, exit);
        Assert.Equal($"hpcsgd: --model {classic} holds no table preprocessing; it was not saved by 'hpcsgd train --data ... --save'.", error.TrimEnd('\n'));
    }
}
