using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class IdxReaderTests
{
    [SharedDataFact]
    public void Mnist_folder_loads_60000_train_and_10000_test_images_scaled_to_unit_range()
    {
        // Prepare
        string folder = SharedDatasets.PathOf("mnist");

        // Execute
        var split = IdxReader.LoadFolder(folder, "mnist");

        // Assert
        Assert.Equal(60_000, split.Train.Count);
        Assert.Equal(10_000, split.Test.Count);
        Assert.Equal(new ImageShape(1, 28, 28), split.Train.Image);
        Assert.Equal(784, split.Train.FeatureCount);
        Assert.Equal(10, split.Train.ClassCount);
        Assert.Equal(5, split.Train.Labels[0]);  // the well-known first MNIST training label
        Assert.Equal(7, split.Test.Labels[0]);   // and the first test label
        Assert.All(split.Train.Labels, y => Assert.InRange(y, 0, 9));
        Assert.Equal(0f, split.Train.Features.Min());
        Assert.Equal(1f, split.Train.Features.Max());
        Assert.Equal(10, split.Train.Labels.Distinct().Count());
    }

    [FashionMnistFact]
    public void Fashion_mnist_from_the_debian_package_loads_like_mnist()
    {
        // Prepare / Execute
        var split = IdxReader.LoadFolder(SharedDatasets.FashionMnistFolder, "fashion-mnist");

        // Assert
        Assert.Equal(60_000, split.Train.Count);
        Assert.Equal(10_000, split.Test.Count);
        Assert.Equal(new ImageShape(1, 28, 28), split.Test.Image);
        Assert.Equal(9, split.Train.Labels[0]);  // first Fashion-MNIST training item is an ankle boot (class 9)
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6_000, split.Train.Labels.Count(y => y == c)));
    }

    [Fact]
    public void Raw_and_gzipped_idx_files_read_the_same()
    {
        // Prepare
        string dir = TestData.TempDir();
        var images = TestData.IdxImages(3, 2, 2, i => (byte)(i * 20));
        var labels = TestData.IdxLabels(1, 0, 2);
        File.WriteAllBytes(Path.Combine(dir, "raw-images"), images);
        File.WriteAllBytes(Path.Combine(dir, "raw-labels"), labels);
        File.WriteAllBytes(Path.Combine(dir, "gz-images"), TestData.Gzip(images));
        File.WriteAllBytes(Path.Combine(dir, "gz-labels"), TestData.Gzip(labels));

        // Execute
        var raw = IdxReader.Read(Path.Combine(dir, "raw-images"), Path.Combine(dir, "raw-labels"), "raw");
        var gz = IdxReader.Read(Path.Combine(dir, "gz-images"), Path.Combine(dir, "gz-labels"), "gz");

        // Assert
        Assert.Equal(raw.Features, gz.Features);
        Assert.Equal([1, 0, 2], gz.Labels);
        Assert.Equal(new ImageShape(1, 2, 2), gz.Image);
        Assert.Equal(20 / 255f, gz.Features[1], 6);
    }

    [Fact]
    public void Truncated_image_file_reports_expected_and_actual_sizes()
    {
        // Prepare
        string dir = TestData.TempDir();
        string images = Path.Combine(dir, "images.gz");
        File.WriteAllBytes(images, TestData.Gzip(TestData.IdxImages(10, 28, 28)[..5000]));

        // Execute
        var e = Assert.Throws<DatasetException>(() => IdxReader.ReadImages(images));

        // Assert
        Assert.Contains(images, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("7840 bytes", e.Message);
    }

    [Fact]
    public void Label_file_passed_as_images_is_rejected_with_a_swap_hint()
    {
        // Prepare
        string dir = TestData.TempDir();
        string labels = Path.Combine(dir, "labels");
        File.WriteAllBytes(labels, TestData.IdxLabels(1, 2, 3));

        // Execute
        var e = Assert.Throws<DatasetException>(() => IdxReader.ReadImages(labels));

        // Assert
        Assert.Contains("0x00000801", e.Message);
        Assert.Contains("expected 0x00000803", e.Message);
        Assert.Contains("swapped", e.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_match()
    {
        // Prepare
        string dir = TestData.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "i"), TestData.IdxImages(3, 2, 2));
        File.WriteAllBytes(Path.Combine(dir, "l"), TestData.IdxLabels(1, 2));

        // Execute
        var e = Assert.Throws<DatasetException>(() => IdxReader.Read(Path.Combine(dir, "i"), Path.Combine(dir, "l"), "x"));

        // Assert
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);
    }

    [Fact]
    public void Folder_without_idx_files_names_the_missing_file()
    {
        // Prepare
        string dir = TestData.TempDir();

        // Execute
        var e = Assert.Throws<DatasetException>(() => IdxReader.LoadFolder(dir, "mnist"));

        // Assert
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains(dir, e.Message);
    }
}
