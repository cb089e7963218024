namespace HpcSgd.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, MIT licence): 28 x 28 grey images of 10 kinds of clothing,
/// 60,000 for training and 10,000 for testing, as the four gzip IDX files Debian's <c>dataset-fashion-mnist</c>
/// package installs under <see cref="DefaultDirectory"/>. Pixels are scaled to [0, 1].
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's package puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Pixels per image.</summary>
    public const int PixelCount = 28 * 28;

    /// <summary>Classes (T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot).</summary>
    public const int ClassCount = 10;

    /// <summary>Reads the training (<paramref name="train"/> true) or test images and labels from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to install the package.</exception>
    /// <exception cref="IdxFormatException">A file is malformed, or images and labels disagree.</exception>
    public static LabeledImages Load(bool train, string directory = DefaultDirectory)
    {
        string prefix = train ? "train" : "t10k";
        string imagesPath = Find(directory, $"{prefix}-images-idx3-ubyte");
        string labelsPath = Find(directory, $"{prefix}-labels-idx1-ubyte");
        IdxArray images = IdxFile.Read(imagesPath);
        IdxArray labels = IdxFile.Read(labelsPath);
        if (images.Dimensions.Count != 3 || images.Dimensions[1] != 28 || images.Dimensions[2] != 28)
        {
            throw new IdxFormatException(imagesPath, 0, $"holds an array of shape [{string.Join(" x ", images.Dimensions)}], not n x 28 x 28 images.");
        }
        if (labels.Dimensions.Count != 1 || labels.Dimensions[0] != images.Dimensions[0])
        {
            throw new IdxFormatException(labelsPath, 0, $"holds an array of shape [{string.Join(" x ", labels.Dimensions)}], not one label per each of the {images.Dimensions[0]} images.");
        }

        var classes = new int[labels.Values.Length];
        for (int i = 0; i < classes.Length; i++)
        {
            float label = labels.Values[i];
            if (!(label >= 0 && label < ClassCount) || label != MathF.Floor(label))
            {
                throw new IdxFormatException(labelsPath, 8 + i, $"holds label {label} for image {i}; labels are 0..{ClassCount - 1}.");
            }
            classes[i] = (int)label;
        }
        float[] pixels = images.Values;
        System.Numerics.Tensors.TensorPrimitives.Multiply(pixels, 1f / 255f, pixels);
        return new LabeledImages(pixels, classes, PixelCount);
    }

    /// <summary>The plain or the .gz file of that name.</summary>
    private static string Find(string directory, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException(
            $"Fashion-MNIST file '{Path.Combine(directory, name)}(.gz)' not found; install it with 'apt-get install dataset-fashion-mnist' or pass its folder.",
            Path.Combine(directory, name + ".gz"));
    }
}

/// <summary>Images as rows of floats and their class labels.</summary>
/// <param name="Pixels">Count x PixelsPerImage values, row-major.</param>
/// <param name="Labels">One class index per image.</param>
/// <param name="PixelsPerImage">Values per image.</param>
public sealed record LabeledImages(float[] Pixels, int[] Labels, int PixelsPerImage)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;
}
