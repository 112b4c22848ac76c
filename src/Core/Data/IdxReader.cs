using System.Buffers.Binary;

namespace FedSim.Data;

/// <summary>
/// Reads MNIST-style IDX files (MNIST, Fashion-MNIST), gzipped or raw. Format (LeCun et al.):
/// big-endian int32 magic 0x00000803 (unsigned-byte images, 3 dims) or 0x00000801 (labels, 1 dim),
/// then one big-endian int32 per dimension, then the bytes.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>The four files of an MNIST-layout folder, each plain or gzipped: what a folder must hold to be found.</summary>
    public static readonly string[] MnistFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    public static readonly string[] TrainImagesNames = ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte", "train-images.idx3-ubyte"];
    public static readonly string[] TrainLabelsNames = ["train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte", "train-labels.idx1-ubyte"];
    public static readonly string[] TestImagesNames = ["t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"];
    public static readonly string[] TestLabelsNames = ["t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"];

    /// <summary>Raw image bytes (count x rows x cols) of an IDX image file.</summary>
    public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);

    /// <summary>Loads the four standard files from a folder (e.g. MNIST or Fashion-MNIST) as train and test sets.</summary>
    public static DatasetSplit LoadFolder(string folder, string name, int classCount = 10)
    {
        if (!Directory.Exists(folder))
            throw new DatasetException($"{folder}: folder not found (expected the {name} IDX files there).");
        string Need(string[] names) => DataFiles.FindFirst(folder, names)
            ?? throw new DatasetException($"{folder}: {names[0]} (or {names[1]}) not found; the folder must hold the four {name} IDX files " +
                                          $"{TrainImagesNames[0]}, {TrainLabelsNames[0]}, {TestImagesNames[0]}, {TestLabelsNames[0]}.");
        string trainLabels = Need(TrainLabelsNames);
        var train = Read(Need(TrainImagesNames), trainLabels, name + "-train", classCount);
        var test = Read(Need(TestImagesNames), Need(TestLabelsNames), name + "-test", classCount);
        TextCells.RequireTwoClasses(trainLabels, train.Labels);
        return new DatasetSplit(train, test);
    }

    /// <summary>Reads an image file and its label file into a dataset with pixels scaled to [0, 1].</summary>
    public static Dataset Read(string imagesPath, string labelsPath, string name, int classCount = 10)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new DatasetException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels; the files do not belong together.");

        var ints = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
                throw new DatasetException($"{labelsPath}: label {labels[i]} at index {i} is outside 0..{classCount - 1}; " +
                                           $"{name} has {classCount} classes, so this is not its label file (or the file is damaged). Fetch it again.");
            ints[i] = labels[i];
        }

        // A 256-entry table turns the per-pixel division into a lookup.
        Span<float> scale = stackalloc float[256];
        for (int v = 0; v < 256; v++) scale[v] = v / 255f;
        var pixels = images.Pixels;
        var features = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) features[i] = scale[pixels[i]];

        int size = images.Rows * images.Columns;
        return new Dataset(name, features, ints, size, classCount, new ImageShape(1, images.Rows, images.Columns));
    }

    public static IdxImages ReadImages(string path)
    {
        using var s = DataFiles.OpenMaybeGzip(path);
        // Magic first, so a wrong kind of file gets the magic message rather than a size complaint.
        int magic = BinaryPrimitives.ReadInt32BigEndian(ReadExactly(s, 4, path, "the 4-byte IDX magic"));
        if (magic != ImagesMagic)
            throw new DatasetException(MagicMessage(path, magic, ImagesMagic, "image"));
        var header = ReadExactly(s, 12, path, "the image dimensions");
        int count = BinaryPrimitives.ReadInt32BigEndian(header);
        int rows = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        int cols = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(8));
        if (count < 0 || rows <= 0 || cols <= 0 || (long)count * rows * cols > Array.MaxLength)
            throw new DatasetException($"{path}: implausible image header (count {count}, {rows}x{cols}).");
        var pixels = ReadExactly(s, count * rows * cols, path, $"{count} images of {rows}x{cols}");
        return new IdxImages(count, rows, cols, pixels);
    }

    public static byte[] ReadLabels(string path)
    {
        using var s = DataFiles.OpenMaybeGzip(path);
        int magic = BinaryPrimitives.ReadInt32BigEndian(ReadExactly(s, 4, path, "the 4-byte IDX magic"));
        if (magic != LabelsMagic)
            throw new DatasetException(MagicMessage(path, magic, LabelsMagic, "label"));
        int count = BinaryPrimitives.ReadInt32BigEndian(ReadExactly(s, 4, path, "the label count"));
        if (count < 0) throw new DatasetException($"{path}: implausible label count {count}.");
        return ReadExactly(s, count, path, $"{count} labels");
    }

    private static string MagicMessage(string path, int actual, int expected, string what)
    {
        string hint = actual == (expected == ImagesMagic ? LabelsMagic : ImagesMagic)
            ? $" (that is the magic of an IDX {(what == "image" ? "label" : "image")} file: are the image and label paths swapped?)"
            : " (not an IDX file, or a file still compressed in another format)";
        return $"{path}: not an IDX {what} file: magic is 0x{actual:X8}, expected 0x{expected:X8}{hint}.";
    }

    private static byte[] ReadExactly(Stream s, int length, string path, string what)
    {
        var buffer = new byte[length];
        int read;
        try { read = s.ReadAtLeast(buffer, length, throwOnEndOfStream: false); }
        catch (InvalidDataException e)
        {
            throw new DatasetException($"{path}: the gzip stream is corrupt ({e.Message}). Fetch the file again.", e);
        }
        if (read < length)
            throw new DatasetException($"{path}: file is truncated: expected {what} ({length} bytes) but only {read} bytes are there. Fetch the file again.");
        return buffer;
    }
}
