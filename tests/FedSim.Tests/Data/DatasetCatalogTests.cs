using FedSim.Scenario;
using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class DatasetCatalogTests
{
    [Fact]
    public void Default_spec_generates_the_synthetic_dataset_without_files()
    {
        // Prepare
        var spec = new DatasetSpec { Samples = 1_000, TestFraction = 0.25 };

        // Execute
        var split = DatasetCatalog.Load(spec, "/nonexistent", seed: 42);

        // Assert
        Assert.Equal(DatasetKinds.Synthetic, spec.Kind);
        Assert.Equal(750, split.Train.Count);
        Assert.Equal(250, split.Test.Count);
    }

    [Fact]
    public void Second_load_of_the_same_spec_returns_the_cached_dataset()
    {
        // Prepare
        var spec = new DatasetSpec { Samples = 1_234, TestFraction = 0.2 };

        // Execute
        var first = DatasetCatalog.Load(spec, ".", seed: 77);
        var second = DatasetCatalog.Load(new DatasetSpec { Samples = 1_234, TestFraction = 0.2 }, ".", seed: 77);
        var otherSeed = DatasetCatalog.Load(spec, ".", seed: 78);

        // Assert
        Assert.Same(first, second);
        Assert.NotSame(first, otherSeed);
    }

    [SharedDataFact]
    public void Mnist_path_resolves_against_the_base_directory_and_loads_once()
    {
        // Prepare: the scenario lives in the shared folder and names mnist relatively.
        string baseDir = SharedDatasets.PathOf();
        var spec = new DatasetSpec { Kind = DatasetKinds.Mnist, Path = "mnist" };

        // Execute
        var first = DatasetCatalog.Load(spec, baseDir, seed: 1);
        var second = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.Mnist, Path = Path.Combine(baseDir, "mnist") }, "/", seed: 2);

        // Assert: the seed does not matter for a dataset with its own split, and files were read once.
        Assert.Same(first, second);
        Assert.Equal(60_000, first.Train.Count);
    }

    [SharedDataFact]
    public void Every_file_based_kind_loads_from_the_shared_folder()
    {
        // Prepare
        string root = SharedDatasets.PathOf();

        // Execute
        var digits = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.SklearnDigits, Path = "sklearn" }, root, 1);
        var cancer = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.SklearnBreastCancer, Path = "sklearn/breast_cancer.csv" }, root, 1);
        var adult = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.Adult, Path = "adult" }, root, 1);
        var femnist = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.Femnist, Path = "femnist-leaf" }, root, 1);

        // Assert
        Assert.Equal(1_797, digits.Train.Count + digits.Test.Count);
        Assert.Equal(569, cancer.Train.Count + cancer.Test.Count);
        Assert.Equal(32_561, adult.Train.Count);
        Assert.Equal(105, femnist.Train.GroupNames!.Length);
    }

    [FashionMnistFact]
    public void Fashion_mnist_is_found_in_the_debian_location_without_a_path()
    {
        // Prepare / Execute
        var split = DatasetCatalog.Load(new DatasetSpec { Kind = DatasetKinds.FashionMnist }, ".", seed: 1);

        // Assert
        Assert.Equal(60_000, split.Train.Count);
    }

    [Fact]
    public void Missing_path_names_the_resolved_location_and_how_to_fetch()
    {
        // Prepare
        string baseDir = TestData.TempDir();
        var spec = new DatasetSpec { Kind = DatasetKinds.Mnist, Path = "data/mnist" };

        // Execute
        var e = Assert.Throws<DatasetException>(() => DatasetCatalog.Load(spec, baseDir, seed: 1));

        // Assert
        Assert.Contains(Path.Combine(baseDir, "data", "mnist"), e.Message);
        Assert.Contains("fedsim data fetch mnist --to DIR", e.Message);
    }

    [Fact]
    public void Adult_without_a_path_lists_where_it_looked()
    {
        // Prepare
        var spec = new DatasetSpec { Kind = DatasetKinds.Adult };

        // Execute
        var e = Assert.Throws<DatasetException>(() => DatasetCatalog.Locate(spec, "."));

        // Assert
        Assert.Contains("/usr/share/datasets/adult", e.Message);
        Assert.Contains("dataset.path", e.Message);
        Assert.Contains("UCI", e.Message);
    }

    [Fact]
    public void Unknown_kind_lists_the_known_kinds()
    {
        // Prepare / Execute
        var e = Assert.Throws<DatasetException>(() => DatasetCatalog.Load(new DatasetSpec { Kind = "cifar", Path = "." }, ".", 1));

        // Assert
        Assert.Contains("'cifar'", e.Message);
        Assert.Contains("fashion-mnist", e.Message);
    }
}
