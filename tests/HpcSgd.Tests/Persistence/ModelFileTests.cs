using HpcSgd.Models;
using HpcSgd.Tests.Models;

namespace HpcSgd.Tests.Persistence;

public sealed class ModelFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hpcsgd-modelfile-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    [Fact]
    public void SaveThenLoad_RoundTripsBitExactly()
    {
        var model = new Model<DeepSoftmax>(seed: 5);
        model.Parameters[3] = -0f;
        model.Parameters[4] = float.Epsilon;
        string path = PathOf("deep.hpcsgd");

        model.Save(path);
        Model<DeepSoftmax> loaded = Model<DeepSoftmax>.Load(path);

        Assert.Equal(
            model.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits),
            loaded.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Single(Directory.GetFiles(folder)); // no temporary file left behind
    }

    [Fact]
    public void Save_ReplacesAnExistingFileWhole()
    {
        string path = PathOf("model.hpcsgd");
        new Model<SeedRegression>(seed: 1).Save(path);
        var second = new Model<SeedRegression>(seed: 2);
        second.Parameters[1] = 42f;

        second.Save(path);

        Assert.Equal(42f, Model<SeedRegression>.Load(path).Parameters[1]);
        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void CrashBetweenWriteAndRename_LeavesThePreviousFileIntact()
    {
        string path = PathOf("model.hpcsgd");
        new Model<SeedRegression>(seed: 1).Save(path);
        byte[] before = File.ReadAllBytes(path);
        string? temporary = null;

        Assert.Throws<IOException>(() => ModelFile.Save(path, SeedRegression.Description, new float[2],
            beforeRename: t => { temporary = t; Assert.True(File.Exists(t)); throw new IOException("simulated crash"); }));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.NotNull(temporary);
        Assert.False(File.Exists(temporary));
        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void A_save_removes_what_killed_writers_left_and_keeps_a_live_writers_file()
    {
        // Issue #16 item 5: killed saves leave temporary files; the next save must clear them, but not a live writer's.
        string path = PathOf("model.hpcsgd");
        using var exited = System.Diagnostics.Process.Start("true")!;
        exited.WaitForExit();
        using var alive = System.Diagnostics.Process.Start("sleep", "30")!;
        try
        {
            string dead = $"{path}.{exited.Id}-0badf00d.tmp", live = $"{path}.{alive.Id}-600dcafe.tmp", other = PathOf("other.hpcsgd.1-12345678.tmp");
            foreach (string leftover in new[] { dead, live, other })
            {
                File.WriteAllText(leftover, "half a model");
            }
            new Model<SeedRegression>(seed: 1).Save(path);
            Assert.False(File.Exists(dead), "a dead writer's temporary file stays");
            Assert.True(File.Exists(live), "a running writer's temporary file was removed");
            Assert.True(File.Exists(other), "another file's temporary file was removed");
            Assert.Equal(2, Model<SeedRegression>.Load(path).Parameters.Length);
        }
        finally
        {
            alive.Kill();
        }
    }

    [Fact]
    public void AnotherModelsFile_IsRefusedByName()
    {
        string path = PathOf("wide.hpcsgd");
        new Model<WideRegression>().Save(path);

        ModelFileException error = Assert.Throws<ModelFileException>(() => Model<SeedRegression>.Load(path));

        Assert.Equal($"'{path}' holds the model 'HpcSgd.Tests.Models.WideRegression', not 'HpcSgd.Tests.Models.SeedRegression'.", error.Message);
    }

    [Fact]
    public void SameNameWithAnotherShape_IsRefusedWithBothShapes()
    {
        string path = PathOf("reshaped.hpcsgd");
        var other = new ModelDescription(SeedRegression.Description.Name, Loss.MeanSquaredError,
            [new LayerDescription(2, 1, Activation.Identity, 0, 2)], []);
        ModelFile.Save(path, other, new float[3]);

        ModelFileException error = Assert.Throws<ModelFileException>(() => Model<SeedRegression>.Load(path));

        Assert.Contains("with a different shape (loss=MeanSquaredError;dense(2,1,Identity,OutputMajor)) than this build declares (loss=MeanSquaredError;dense(1,1,Identity,OutputMajor))", error.Message);
    }

    [Fact]
    public void UnknownFormatVersion_IsRefused()
    {
        string path = PathOf("future.hpcsgd");
        new Model<SeedRegression>().Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[8] = 2;
        File.WriteAllBytes(path, bytes);

        ModelFileException error = Assert.Throws<ModelFileException>(() => Model<SeedRegression>.Load(path));

        Assert.EndsWith("has format version 2, but this HpcSgd reads versions 1 to 1; update HpcSgd to load it.", error.Message);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(19)]
    [InlineData(40)]
    public void TruncatedFile_IsRefused(int removed)
    {
        string path = PathOf("cut.hpcsgd");
        new Model<SeedRegression>().Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^removed]);

        ModelFileException error = Assert.Throws<ModelFileException>(() => Model<SeedRegression>.Load(path));

        Assert.Contains("is truncated", error.Message);
    }

    [Fact]
    public void FlippedBit_IsRefusedAsCorrupted()
    {
        string path = PathOf("flipped.hpcsgd");
        new Model<SeedRegression>().Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^6] ^= 0x10; // inside the parameters
        File.WriteAllBytes(path, bytes);

        ModelFileException error = Assert.Throws<ModelFileException>(() => Model<SeedRegression>.Load(path));

        Assert.EndsWith("is corrupted: its checksum does not match its contents.", error.Message);
    }

    [Fact]
    public void NotAModelFile_IsRefused()
    {
        string path = PathOf("notes.txt");
        File.WriteAllText(path, "hello, this is not a model");

        ModelFileException error = Assert.Throws<ModelFileException>(() => Model<SeedRegression>.Load(path));

        Assert.Contains("is not an HpcSgd model file", error.Message);
    }

    [Fact]
    public void UnknownSection_IsSkipped_SoTheFormatCanGrow()
    {
        // Insert a section with an unknown tag before the checksum, fix up the body length and checksum.
        var model = new Model<SeedRegression>(seed: 9);
        byte[] original = ModelFile.Encode(SeedRegression.Description, model.Parameters);
        byte[] extra = [(byte)'O', (byte)'P', (byte)'T', (byte)'M', 3, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
        byte[] grown = [.. original[..^4], .. extra, 0, 0, 0, 0];
        BitConverter.TryWriteBytes(grown.AsSpan(12), BitConverter.ToUInt64(original, 12) + (ulong)extra.Length);
        BitConverter.TryWriteBytes(grown.AsSpan(grown.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(grown.AsSpan(0, grown.Length - 4)));

        float[] loaded = ModelFile.Decode("grown", grown, SeedRegression.Description);

        Assert.Equal(model.Parameters.ToArray(), loaded);
    }

    [Fact]
    public void ApplicationSections_AreStoredAndReadBack_AndTheModelStillLoads()
    {
        string path = PathOf("with-sections.hpcsgd");
        var model = new Model<SeedRegression>(seed: 4);
        ModelFile.Save(path, SeedRegression.Description, model.Parameters, [new ModelFileSection("PREP", [1, 2, 3]), new ModelFileSection("NOTE", [])]);

        Assert.Equal([1, 2, 3], ModelFile.ReadSection(path, "PREP")!);
        Assert.Equal([], ModelFile.ReadSection(path, "NOTE")!);
        Assert.Null(ModelFile.ReadSection(path, "NONE"));
        Assert.Equal(model.Parameters.ToArray(), Model<SeedRegression>.Load(path).Parameters.ToArray());
    }

    [Theory]
    [InlineData("MODL")]
    [InlineData("PARA")]
    [InlineData("toolong")]
    [InlineData("a b!")]
    public void SectionTags_ThatAreTheFilesOwnOrNotFourLettersOrDigits_AreRefused(string tag)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ModelFile.Save(PathOf("bad-tag.hpcsgd"), SeedRegression.Description, new float[2], [new ModelFileSection(tag, [0])]));
        Assert.Contains($"section tag '{tag}'", error.Message);
        Assert.False(File.Exists(PathOf("bad-tag.hpcsgd")));
    }

    [Fact]
    public void AFileLoads_IntoTheSameDeclarationInAnotherNamespace()
    {
        string path = PathOf("moved.hpcsgd");
        var elsewhere = new ModelDescription("SomeApp.Models.SeedRegression", Loss.MeanSquaredError, [new LayerDescription(1, 1, Activation.Identity, 0, 1)], []);
        ModelFile.Save(path, elsewhere, [0.5f, 2f]);
        Assert.Equal([0.5f, 2f], Model<SeedRegression>.Load(path).Parameters.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(11)]
    public void BytesLeftAfterTheLastSection_TooFewForASectionHeader_AreMalformed(int extra)
    {
        // Issue #16: 11 stray bytes with a valid checksum threw ArgumentOutOfRangeException.
        byte[] original = ModelFile.Encode(SeedRegression.Description, new float[2]);
        byte[] grown = [.. original[..^4], .. new byte[extra], 0, 0, 0, 0];
        BitConverter.TryWriteBytes(grown.AsSpan(12), BitConverter.ToUInt64(original, 12) + (ulong)extra);
        BitConverter.TryWriteBytes(grown.AsSpan(grown.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(grown.AsSpan(0, grown.Length - 4)));

        var error = Assert.Throws<ModelFileException>(() => ModelFile.Decode("stray", grown, SeedRegression.Description));
        Assert.Equal("'stray' is malformed: a section runs past the end of the file.", error.Message);
    }
}
