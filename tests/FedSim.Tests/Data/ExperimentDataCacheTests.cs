using FedSim.Composition;
using FedSim.Data;
using FedSim.Scenario;

namespace FedSim.Tests.Data;

/// <summary>One silo's cache of experiment data: shared by scenarios that shape the data alike, never by others.</summary>
public sealed class ExperimentDataCacheTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-data-cache-").FullName;

    private ScenarioSpec CsvScenario(string labelColumn, string? ownerColumn = null)
    {
        string csv = Path.Combine(_folder, "rows.csv");
        if (!File.Exists(csv))
        {
            var rows = Enumerable.Range(0, 60).Select(i => $"{i % 7},{i % 3},{(i % 2 == 0 ? "yes" : "no")},{(i % 5 == 0 ? "a" : "b")},site-{i % 4}");
            File.WriteAllLines(csv, ["x,y,churned,active,site", .. rows]);
        }
        return new ScenarioSpec
        {
            Devices = 4,
            Dataset = new DatasetSpec { Kind = DatasetKinds.Csv, Path = csv, LabelColumn = labelColumn, OwnerColumn = ownerColumn },
        };
    }

    [Fact]
    public void Scenarios_differing_only_in_the_label_column_get_their_own_data()
    {
        // Prepare
        var cache = new ExperimentDataCache();

        // Execute
        var churn = cache.Get(CsvScenario("churned"));
        var active = cache.Get(CsvScenario("active"));

        // Assert: the labels are the ones each scenario named (yes/no every other row, against a every fifth row).
        Assert.NotSame(churn, active);
        Assert.NotEqual(ExperimentDataCache.Key(CsvScenario("churned")), ExperimentDataCache.Key(CsvScenario("active")));
        Assert.NotEqual(ClassCounts(churn), ClassCounts(active));
    }

    [Fact]
    public void Scenarios_differing_only_in_the_owner_column_have_different_keys()
    {
        Assert.NotEqual(ExperimentDataCache.Key(CsvScenario("churned", ownerColumn: null)), ExperimentDataCache.Key(CsvScenario("churned", ownerColumn: "site")));
    }

    [Fact]
    public void The_same_data_settings_share_one_copy_whatever_else_differs()
    {
        // Prepare: the training schedule does not shape the data.
        var cache = new ExperimentDataCache();
        var a = CsvScenario("churned");
        var b = CsvScenario("churned");
        b.Training.Rounds = a.Training.Rounds + 5;

        // Execute / Assert
        Assert.Same(cache.Get(a), cache.Get(b));
    }

    private static int[] ClassCounts(ExperimentData data)
    {
        var counts = new int[data.Split.Train.ClassCount];
        for (int i = 0; i < data.Split.Train.Count; i++) counts[data.Split.Train.Labels[i]]++;
        return counts;
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }
}
