using FedSim.Data;
using FedSim.Scenarios.Configuration;

namespace FedSim.Tests.Data;

/// <summary>The dataset kinds are found by reflection, and every part of FedSim that lists kinds reads them from there.</summary>
public class DatasetKindsTests
{
    [Fact]
    public void Kinds_are_discovered_once_each_with_generated_data_first_and_your_own_csv_last()
    {
        // Prepare / Execute
        var names = DatasetKinds.All;

        // Assert
        Assert.Equal(DatasetKinds.Synthetic, names[0]);
        Assert.Equal(DatasetKinds.Csv, names[^1]);
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.All(names, name => Assert.Equal(name, DatasetKinds.Of(name)!.Name));
        Assert.Equal(names, ScenarioRules.For("dataset.kind")!.AllowedValues);
    }

    [Fact]
    public void An_unknown_kind_is_refused_with_the_list_of_kinds()
    {
        // Prepare / Execute
        var e = Assert.Throws<DatasetException>(() => DatasetCatalog.Load(new DatasetSpec { Kind = "imagenet" }, ".", 1));

        // Assert
        Assert.Equal($"unknown dataset kind 'imagenet'; use one of: {string.Join(", ", DatasetKinds.All)}.", e.Message);
        Assert.Null(DatasetKinds.Of("imagenet"));
    }

    [Fact]
    public void Every_file_backed_kind_says_what_its_path_holds_and_where_to_get_it()
    {
        // Prepare
        var fileBacked = DatasetKinds.Descriptors.Where(k => !k.IsGenerated).ToList();

        // Execute / Assert
        Assert.NotEmpty(fileBacked);
        Assert.All(fileBacked, k => Assert.False(string.IsNullOrWhiteSpace(k.WhereToGet), $"{k.Name} has no WhereToGet"));
        Assert.All(fileBacked, k => Assert.False(string.IsNullOrWhiteSpace(k.Expect), $"{k.Name} has no Expect"));
        Assert.All(DatasetKinds.Descriptors.Where(k => k.IsGenerated), k => Assert.Null(k.Folder));
    }

    [Fact]
    public void The_fetcher_offers_exactly_the_kinds_with_a_download_under_their_own_names()
    {
        // Prepare
        var withDownload = DatasetKinds.Descriptors.Where(k => k.Download is not null).Select(k => k.Name);

        // Execute
        var fetchable = DatasetFetcher.Known.Select(d => d.Name);

        // Assert
        Assert.Equal(withDownload, fetchable);
    }

    [Fact]
    public void The_dataset_kind_description_names_every_kind_with_its_summary()
    {
        // Prepare / Execute
        string table = ScenarioSchema.MarkdownFieldTable();

        // Assert
        Assert.All(DatasetKinds.Descriptors, k => Assert.Contains($"{k.Name} ({k.Summary})", table));
    }

    [Fact]
    public void Cache_keys_compare_by_value_so_equal_specs_share_a_load()
    {
        // Prepare: two separately built csv specs with the same parameters, one differing only in the owner column.
        var kind = DatasetKinds.Of(DatasetKinds.Csv)!;
        var a = new DatasetSpec { Kind = DatasetKinds.Csv, Path = "data.csv", LabelColumn = "y" };
        var b = new DatasetSpec { Kind = DatasetKinds.Csv, Path = "data.csv", LabelColumn = "y" };
        var c = new DatasetSpec { Kind = DatasetKinds.Csv, Path = "data.csv", LabelColumn = "y", OwnerColumn = "site" };

        // Execute
        object keyA = kind.CacheKey(a, "/d/data.csv", 1), keyB = kind.CacheKey(b, "/d/data.csv", 1), keyC = kind.CacheKey(c, "/d/data.csv", 1);

        // Assert
        Assert.Equal(keyA, keyB);
        Assert.NotEqual(keyA, keyC);
        Assert.NotEqual(keyA, kind.CacheKey(a, "/d/data.csv", 2));
    }
}
