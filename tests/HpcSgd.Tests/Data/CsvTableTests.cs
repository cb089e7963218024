using HpcSgd.Data;

namespace HpcSgd.Tests.Data;

public class CsvTableTests
{
    private static CsvFormatException Bad(string text, string target = "y", TargetKind kind = TargetKind.Regression) =>
        Assert.Throws<CsvFormatException>(() => CsvTable.Parse(text, "data.csv", target, kind));

    [Fact]
    public void Reads_features_and_a_regression_target_by_name_in_any_position()
    {
        CsvTable t = CsvTable.Parse("a,y,b\n1,10,2\n3,-20.5,4e1\n", "data.csv", "y", TargetKind.Regression);
        Assert.Equal(["a", "b"], t.FeatureNames);
        Assert.Equal([1f, 2f, 3f, 40f], t.Features);
        Assert.Equal([10f, -20.5f], t.Targets);
        Assert.Empty(t.ClassNames);
    }

    [Fact]
    public void Maps_class_labels_to_indices_and_keeps_the_mapping()
    {
        CsvTable text = CsvTable.Parse("x,species\n1,setosa\n2,virginica\n3,setosa\n4,\"versi,color\"\n", "iris.csv", "species", TargetKind.Classification);
        Assert.Equal(["setosa", "versi,color", "virginica"], text.ClassNames);
        Assert.Equal([0, 2, 0, 1], text.Labels());
        CsvTable numeric = CsvTable.Parse("x,label\n1,10\n2,2\n3,1\n", "n.csv", "label", TargetKind.Classification);
        Assert.Equal(["1", "2", "10"], numeric.ClassNames); // numeric order, not text order
        Assert.Equal([2, 1, 0], numeric.Labels());
    }

    [Fact]
    public void Bad_files_name_file_line_column_and_what_was_expected()
    {
        var e = Bad("a,y\n1,2\n3,abc\n");
        Assert.Equal((3, 2), (e.Line, e.Column));
        Assert.Equal("data.csv:3:2: expected a finite number in column 'y', found 'abc'.", e.Message);

        e = Bad("a,y\n1,2\n,3\n");
        Assert.Equal((3, 1), (e.Line, e.Column));
        Assert.Contains("empty field in column 'a'", e.Message);

        e = Bad("a,y\n1,2\n1,NaN\n");
        Assert.Contains("data.csv:3:2: expected a finite number", e.Message);

        e = Bad("a,y\n1,2\n1\n");
        Assert.Equal("data.csv:3: expected 2 fields as in the header, found 1.", e.Message);

        e = Bad("a,b\n1,2\n");
        Assert.Equal("data.csv:1: no column named 'y'; the header has 'a', 'b'.", e.Message);

        Assert.Contains("no data rows", Bad("a,y\n").Message);
        Assert.Contains("the file is empty", Bad("").Message);
        Assert.Contains("appears twice", Bad("a,a,y\n1,2,3\n").Message);
        Assert.Contains("empty label", Bad("a,y\n1,\n", kind: TargetKind.Classification).Message);
    }

    [Fact]
    public void Headers_with_quotes_and_a_trailing_blank_line_read_as_CSV_has_them()
    {
        // Issue #16 item 2: a quoted comma is part of a name, a quoted line break too, and editors' last blank line is no row.
        CsvTable quoted = CsvTable.Parse("\",\",y\n1,2\n", "data.csv", "y", TargetKind.Regression);
        Assert.Equal([","], quoted.FeatureNames);
        CsvTable trailing = CsvTable.Parse("x,y\n1,2\n\n", "data.csv", "y", TargetKind.Regression);
        Assert.Equal(1, trailing.Count);

        // Two empty names after a quoted break: an error at the first repeat's column, not Sep's "Col name '' found 2 times".
        CsvFormatException e = Bad("a\"\n\"x,,\n1,2,3\n");
        Assert.Equal((1, 2), (e.Line, e.Column));
        Assert.Equal("data.csv:1:2: empty column name in the header.", e.Message);
    }

    [Fact]
    public void Messages_are_one_line_and_show_at_most_80_characters_of_a_cell()
    {
        string huge = new('7', 1_048_576);
        CsvFormatException e = Bad($"a,y\n1,{huge}x\n");
        Assert.Equal((2, 2), (e.Line, e.Column));
        Assert.Equal($"data.csv:2:2: expected a finite number in column 'y', found '{new string('7', 80)}... (1,048,577 characters)'.", e.Message);

        e = Bad("\"a\nb\",y\n1,oops\n", target: "\"a\nb\"");
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("no column named", e.Message);
        e = Bad("\"a\nb\",y\n1,2\n2,oops\n", target: "y");
        Assert.Single(e.Message.Split('\n'));
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<FileNotFoundException>(() => CsvTable.Load("/nonexistent/data.csv", "y", TargetKind.Regression));
        Assert.Contains("/nonexistent/data.csv", e.Message);
    }

    [Fact]
    public void Split_is_seeded_disjoint_complete_and_standardised_on_the_training_part_only()
    {
        int n = 200;
        var features = new float[n * 2];
        var targets = new float[n];
        for (int i = 0; i < n; i++)
        {
            features[i * 2] = i;
            features[i * 2 + 1] = 5f; // constant column: centred, not divided by zero
            targets[i] = i;
        }
        var a = TrainValidationSplit.Create(features, targets, 2, 0.25, seed: 3);
        var b = TrainValidationSplit.Create(features, targets, 2, 0.25, seed: 3);
        var c = TrainValidationSplit.Create(features, targets, 2, 0.25, seed: 4);
        Assert.Equal(a.ValidationTargets, b.ValidationTargets);
        Assert.NotEqual(a.ValidationTargets, c.ValidationTargets);
        Assert.Equal(50, a.ValidationTargets.Length);
        Assert.Equal(Enumerable.Range(0, n).Select(i => (float)i), a.TrainTargets.Concat(a.ValidationTargets).Order());

        double mean = 0, square = 0;
        for (int i = 0; i < a.TrainTargets.Length; i++)
        {
            mean += a.TrainFeatures[i * 2] / a.TrainTargets.Length;
            square += a.TrainFeatures[i * 2] * a.TrainFeatures[i * 2] / a.TrainTargets.Length;
            Assert.Equal(0f, a.TrainFeatures[i * 2 + 1]);
            // The row's target still matches its (standardised) feature: rows moved together.
            Assert.Equal(a.TrainTargets[i], a.TrainFeatures[i * 2] * a.Scaling.Scales[0] + a.Scaling.Means[0], 3);
        }
        Assert.Equal(0, mean, 4);
        Assert.Equal(1, square, 4);
        Assert.Equal(a.Scaling.Means[0], a.TrainTargets.Average(), 3); // fitted on the training rows only
    }
}
