using HpcSgd.Cli.Explorer;
using HpcSgd.Cli.Tables;
using HpcSgd.Data;

namespace HpcSgd.Tests.Cli;

/// <summary>Any CSV table made ready to train on: the task inferred and guarded, text one-hot encoded, missing cells handled, errors located.</summary>
public class PreparedTableTests
{
    private static PreparedTable Parse(string text, TableOptions options) => PreparedTable.Parse(text, "t.csv", options);

    [Fact]
    public void TextLabels_AreClasses_InOrdinalOrder_AndTheReasonSaysSo()
    {
        PreparedTable t = Parse("x,label\n1,cat\n2,dog\n3,cat\n", new TableOptions("label"));
        Assert.Equal(TargetKind.Classification, t.Kind);
        Assert.Equal(["cat", "dog"], t.ClassNames);
        Assert.Equal([0f, 1f, 0f], t.Targets);
        Assert.Equal("the target column 'label' holds text labels (2 distinct, e.g. 'cat')", t.KindReason);
    }

    [Fact]
    public void FewWholeNumbers_AreClasses_InNumericOrder_WithEqualValuesWrittenDifferentlyAsOneClass()
    {
        PreparedTable t = Parse("x,y\n1,10\n2,2\n3,2.0\n4,1\n", new TableOptions("y"));
        Assert.Equal(TargetKind.Classification, t.Kind);
        Assert.Equal(["1", "2", "10"], t.ClassNames);
        Assert.Equal([2f, 1f, 1f, 0f], t.Targets);
        Assert.StartsWith("the target column 'y' holds 3 distinct whole numbers", t.KindReason);
    }

    [Fact]
    public void Fractions_OrManyWholeNumbers_AreARegressionTarget()
    {
        Assert.Equal(TargetKind.Regression, Parse("x,y\n1,0.5\n2,1.5\n", new TableOptions("y")).Kind);
        string many = "x,y\n" + string.Concat(Enumerable.Range(0, 25).Select(i => $"{i},{i * 3}\n"));
        PreparedTable t = Parse(many, new TableOptions("y"));
        Assert.Equal(TargetKind.Regression, t.Kind);
        Assert.StartsWith("the target column 'y' holds 25 distinct whole numbers (more than 20", t.KindReason);
        Assert.Equal(TargetKind.Classification, Parse(many, new TableOptions("y", Task: "classification")).Kind);
    }

    [Fact]
    public void ClassificationOfAContinuousColumn_IsRefusedWithAHint()
    {
        string text = "x,y\n" + string.Concat(Enumerable.Range(0, 214).Select(i => FormattableString.Invariant($"{i},{i * 0.37}\n")));
        var error = Assert.Throws<ArgumentException>(() => Parse(text, new TableOptions("y", Task: "classification")));
        Assert.Contains("holds 214 distinct numbers with fractions", error.Message);
        Assert.Contains("use --task regression", error.Message);
    }

    [Fact]
    public void RegressionOfTextLabels_IsRefusedAtTheCell()
    {
        var error = Assert.Throws<CsvFormatException>(() => Parse("x,y\n1,2\n2,high\n", new TableOptions("y", Task: "regression")));
        Assert.Equal((3, 2), (error.Line, error.Column));
        Assert.Contains("found 'high'", error.Message);
    }

    [Fact]
    public void TextFeatures_AreOneHot_WithNamedFeatures()
    {
        PreparedTable t = Parse("size,city,y\n1,Paris,0\n2,Lyon,1\n3,Paris,0\n", new TableOptions("y"));
        Assert.Equal(["size", "city=Lyon", "city=Paris"], t.FeatureNames);
        Assert.Equal([1f, 0f, 1f, 2f, 1f, 0f, 3f, 0f, 1f], t.Features);
        Assert.Equal(["Lyon", "Paris"], Assert.Single(t.Encoded).Categories!);
    }

    [Fact]
    public void ATextColumnWithTooManyValues_IsRefusedNamingItAndTheWayOut()
    {
        string text = "name,y\n" + string.Concat(Enumerable.Range(0, 60).Select(i => $"n{i},{i % 2}\n"));
        var error = Assert.Throws<CsvFormatException>(() => Parse(text, new TableOptions("y")));
        Assert.Equal((2, 1), (error.Line, error.Column));
        Assert.Contains("column 'name' holds text ('n0') with 60 distinct values, more than the 50 one-hot encoding takes", error.Message);
        Assert.Contains("--exclude name", error.Message);
        Assert.Throws<ArgumentException>(() => Parse(text, new TableOptions("y", Exclude: ["name"]))); // nothing but the target left
    }

    [Fact]
    public void MissingCells_AreRefused_Dropped_OrFilled()
    {
        const string text = "a,b,y\n1,x,0.5\nNA,x,1.5\n3,,2.5\n5,z,\n";
        var error = Assert.Throws<CsvFormatException>(() => Parse(text, new TableOptions("y")));
        Assert.Equal((3, 1), (error.Line, error.Column));
        Assert.StartsWith("t.csv:3:1: missing value in column 'a'", error.Message);

        PreparedTable dropped = Parse(text, new TableOptions("y", Missing: MissingValues.Drop));
        Assert.Equal(1, dropped.Count);
        Assert.Equal(3, dropped.DroppedRows);

        PreparedTable filled = Parse(text, new TableOptions("y", Missing: MissingValues.Mean));
        Assert.Equal(3, filled.Count); // the row without a target is left out
        Assert.Equal(1, filled.DroppedRows);
        Assert.Equal(["a", "b=x", "b=z"], filled.FeatureNames);
        // a: mean of 1, 3 and 5 (over the cells present); b: its most common value, x.
        Assert.Equal([1f, 1f, 0f, 3f, 1f, 0f, 3f, 1f, 0f], filled.Features);
        Assert.Equal([("a", 1), ("b", 1)], filled.Filled.Select(f => (f.Name, f.Cells)));
    }

    [Theory]
    [InlineData("a,b\n1,2\n", "z", "--target z: t.csv has no such column; its columns are 'a', 'b'.")]
    [InlineData("a,a\n1,2\n", "a", "t.csv:1:2: column name 'a' appears twice in the header.")]
    [InlineData("a,,y\n1,2,3\n", "y", "t.csv:1:2: empty column name in the header.")]
    [InlineData("a,y\n1,2\n3\n", "y", "t.csv:3: expected 2 fields as in the header, found 1.")]
    [InlineData("a,y\n", "y", "t.csv:2: no data rows after the header.")]
    [InlineData("a,y\n1,cat\n2,cat\n", "y", "t.csv:2:2: the target column 'y' holds one class only ('cat'); nothing to tell apart.")]
    public void BadTables_AreNamedByLineAndColumn(string text, string target, string message)
    {
        var error = Assert.ThrowsAny<Exception>(() => Parse(text, new TableOptions(target)));
        Assert.True(error is CsvFormatException or ArgumentException, error.GetType().Name);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void QuotedNames_WithCommas_AndATrailingBlankLine_AreFine()
    {
        PreparedTable t = Parse("\",\",y\n1,0\n2,1\n\n", new TableOptions("y"));
        Assert.Equal([","], t.FeatureNames);
        Assert.Equal(2, t.Count);
    }

    [Fact]
    public void MutatedTables_GiveANamedErrorOrATable_NeverAnotherException()
    {
        // Bytes replaced, deleted or inserted (quotes, separators, line ends, NA, text) in a small mixed table.
        const string seed = "id,size,city,\"note, quoted\",y\n1,2.5,Paris,\"a\"\"b\",0.5\n2,NA,Lyon,x,1.5\n3,4,Paris,,2.5\n4,1e3,Nice,y,3.5\n";
        string[] pieces = [",", "\"", "\n", "\r\n", "NA", "?", "abc", "1e99", "-", " ", "", "\t", "1.5"];
        var random = new Random(12);
        int tables = 0;
        for (int i = 0; i < 3000; i++)
        {
            var text = new System.Text.StringBuilder(seed);
            for (int m = random.Next(1, 4); m > 0; m--)
            {
                int at = random.Next(text.Length + 1);
                string piece = pieces[random.Next(pieces.Length)];
                switch (random.Next(3))
                {
                    case 0 when at < text.Length: text.Remove(at, 1).Insert(at, piece); break;
                    case 1 when at < text.Length: text.Remove(at, 1); break;
                    default: text.Insert(at, piece); break;
                }
            }
            foreach (MissingValues missing in new[] { MissingValues.Refuse, MissingValues.Mean })
            {
                try
                {
                    PreparedTable t = Parse(text.ToString(), new TableOptions("y", Exclude: ["id"], Missing: missing));
                    Assert.Equal(t.Count * t.FeatureCount, t.Features.Length);
                    Assert.All(t.Features, f => Assert.True(float.IsFinite(f)));
                    tables++;
                }
                catch (Exception e) when (e is CsvFormatException or ArgumentException)
                {
                    Assert.False(e.Message.Contains('\n', StringComparison.Ordinal), e.Message);
                }
            }
        }
        Assert.InRange(tables, 100, 5999); // some mutations still leave a valid table
    }

    [Theory]
    [InlineData("breast-cancer", "BreastCancerModel")]
    [InlineData("2024 sales", "Table2024SalesModel")]
    [InlineData("iris", "IrisModel")]
    public void ModelTypeNames_ComeFromTheFileName(string file, string type) => Assert.Equal(type, TableExperiment.TypeName(file));
}
