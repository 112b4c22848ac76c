using FedSim.GrainInterfaces;
using FedSim.Scenarios.Reports;
using FedSim.Rounds;

namespace FedSim.Tests.Reports;

public class ResultsFolderTests
{
    private static DeviceRecord Device(long index, string name) =>
        new(index, new DeviceProfile(name, "eu-west", "phone-mid", 850.5, 1.25e6, 5e6), 600, 3);

    [Fact]
    public void Results_folder_writes_every_file_and_returns_their_paths()
    {
        // Prepare
        using var tmp = new TempDir();
        string outDir = Path.Combine(tmp.Path, "nested", "run1");

        // Execute
        using var folder = ResultsFolder.Open(outDir);
        folder.WriteScenario("name: mnist-iid\nseed: 42");
        foreach (var r in ReportFixtures.FourRounds()) folder.AppendRound(r);
        folder.WriteDevices([Device(7, "Pixel"), Device(2, "Galaxy")]);
        var summary = folder.Complete(ReportFixtures.Input());

        // Assert
        var p = folder.Paths;
        Assert.Equal(Path.GetFullPath(outDir), p.Directory);
        Assert.Equal("name: mnist-iid\nseed: 42\n", File.ReadAllText(p.Scenario));
        Assert.Equal(MetricsCsv.Format(ReportFixtures.FourRounds()), File.ReadAllText(p.Metrics));
        Assert.Equal(SummaryJson.Serialize(summary), File.ReadAllText(p.Summary));
        Assert.True(new FileInfo(p.Plot).Length > 10_000);
        Assert.StartsWith(DevicesCsv.Header + "\n2,Galaxy,", File.ReadAllText(p.Devices));
        Assert.Equal(0.91, summary.BestAccuracy);
        Assert.Contains("<td>91.0 % (round 3)</td>", File.ReadAllText(Path.Combine(p.Directory, RunReport.FileName)));
        Assert.Equal(
            [".fedsim.lock", "clients.csv", "devices.csv", "failures.csv", "metrics.csv", "metrics.png", "report.html", "scenario.yaml", "summary.json"],
            Directory.GetFiles(p.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Results_folder_has_metrics_for_every_finished_round_before_the_run_ends()
    {
        // Prepare: a run that will "crash" after two rounds.
        using var tmp = new TempDir();
        using var folder = ResultsFolder.Open(tmp.Path);
        var reports = ReportFixtures.FourRounds();

        // Execute: the runner may feed the folder as an IProgress sink, like the console.
        folder.AppendRound(reports[0]);
        ((IProgress<RoundReport>)folder).Report(reports[1]);

        // Assert
        Assert.Equal(reports.Take(2), MetricsCsv.Read(folder.Paths.Metrics));
        Assert.Equal(reports.Take(2), folder.Reports);
    }

    [Fact]
    public void Results_folder_replaces_a_replayed_round()
    {
        // Prepare
        using var tmp = new TempDir();
        using var folder = ResultsFolder.Open(tmp.Path);
        var reports = ReportFixtures.FourRounds();

        // Execute: round 2 is reported again after a coordinator restart, with a new wall time.
        folder.AppendRound(reports[0]);
        folder.AppendRound(reports[1]);
        folder.AppendRound(reports[1] with { WallSeconds = 9 });

        // Assert
        var read = MetricsCsv.Read(folder.Paths.Metrics);
        Assert.Equal([1, 2], read.Select(r => r.Round));
        Assert.Equal(9, read[1].WallSeconds);
    }

    [Fact]
    public void Results_folder_on_an_existing_file_says_which_path_and_what_to_do()
    {
        // Prepare
        using var tmp = new TempDir();
        string file = tmp.File("taken");
        File.WriteAllText(file, "x");

        // Execute
        var e = Assert.Throws<ResultsException>(() => ResultsFolder.Open(file));

        // Assert
        Assert.Contains(file, e.Message);
        Assert.Contains("--output", e.Message);
    }

    [Fact]
    public void Results_folder_under_a_file_cannot_be_created_and_says_so()
    {
        using var tmp = new TempDir();
        string file = tmp.File("taken");
        File.WriteAllText(file, "x");

        var e = Assert.Throws<ResultsException>(() => ResultsFolder.Open(Path.Combine(file, "run")));

        Assert.Contains(Path.Combine(file, "run"), e.Message);
    }

    [Fact]
    public void Devices_csv_quotes_names_with_commas_and_leaves_unknown_participation_empty()
    {
        // Prepare
        var devices = new[]
        {
            new DeviceRecord(3, new DeviceProfile("O'Kon, \"Hahn\"", "us-east", "laptop", 2000, 1e6, 2.5e6), 120, Malicious: "sign-flip"),
            Device(1, "Pixel") with { RoundsSelected = 4 },
        };

        // Execute
        string text = DevicesCsv.Format(devices);

        // Assert
        Assert.Equal(
            DevicesCsv.Header + "\n" +
            "1,Pixel,eu-west,phone-mid,600,850.5,1250000,5000000,4,3,\n" +
            "3,\"O'Kon, \"\"Hahn\"\"\",us-east,laptop,120,2000,1000000,2500000,,,sign-flip\n",
            text);
    }

    [Fact]
    public void A_folder_with_an_earlier_runs_rounds_is_refused_and_left_untouched()
    {
        // Prepare: an interrupted run's folder.
        using var tmp = new TempDir();
        using (var earlier = ResultsFolder.Open(tmp.Path))
        {
            earlier.WriteScenario($"# {ResultsFolder.ScenarioHeader}\nname: earlier");
            foreach (var r in ReportFixtures.FourRounds().Take(2)) earlier.AppendRound(r);
            earlier.Complete(ReportFixtures.Input() with { Status = RunStatuses.Interrupted });
        }
        var before = Directory.GetFiles(tmp.Path).ToDictionary(f => f, File.ReadAllBytes);

        // Execute
        var e = Assert.Throws<ResultsFolderOccupiedException>(() => ResultsFolder.Open(tmp.Path));

        // Assert
        Assert.Contains("an interrupted run (2 of 4 rounds)", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(tmp.Path).Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, File.ReadAllBytes(kv.Key)));
    }

    [Fact]
    public void A_killed_runs_metrics_without_a_summary_count_as_results()
    {
        using var tmp = new TempDir();
        File.WriteAllText(Path.Combine(tmp.Path, MetricsCsv.FileName), MetricsCsv.Format(ReportFixtures.FourRounds().Take(3)));

        var e = Assert.Throws<ResultsFolderOccupiedException>(() => ResultsFolder.Open(tmp.Path));

        Assert.Contains("an unfinished run (3 round(s) in metrics.csv and no summary", e.Message);
    }

    [Fact]
    public void Overwrite_removes_the_earlier_runs_files_and_temporaries_and_keeps_the_users_own()
    {
        // Prepare: a completed run, a temporary a killed writer left, and a file of the user's.
        using var tmp = new TempDir();
        using (var earlier = ResultsFolder.Open(tmp.Path))
        {
            earlier.WriteScenario($"# {ResultsFolder.ScenarioHeader}\nname: earlier");
            foreach (var r in ReportFixtures.FourRounds()) earlier.AppendRound(r);
            earlier.WriteDevices([Device(1, "Pixel")]);
            earlier.Complete(ReportFixtures.Input());
        }
        File.WriteAllText(Path.Combine(tmp.Path, "metrics.csv.4242.tmp"), "half");
        File.WriteAllText(Path.Combine(tmp.Path, "notes.txt"), "mine");

        // Execute
        using var folder = ResultsFolder.Open(tmp.Path, overwrite: true);

        // Assert
        Assert.Equal([".fedsim.lock", "notes.txt"], Directory.GetFiles(tmp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_run_that_stopped_before_its_first_round_is_replaced_without_asking()
    {
        // Prepare: a failed start: scenario, log and a failed summary with no rounds.
        using var tmp = new TempDir();
        using (var earlier = ResultsFolder.Open(tmp.Path))
        {
            earlier.WriteScenario($"# {ResultsFolder.ScenarioHeader}\nname: earlier");
            File.WriteAllText(earlier.Paths.Log, "log");
            earlier.Complete(ReportFixtures.Input() with { Status = RunStatuses.Failed, Error = "bad data" });
        }

        // Execute
        using var folder = ResultsFolder.Open(tmp.Path);

        // Assert
        Assert.Equal([".fedsim.lock"], Directory.GetFiles(tmp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_folder_owned_by_a_run_is_refused_to_a_second_even_with_overwrite()
    {
        using var tmp = new TempDir();
        using var owner = ResultsFolder.Open(tmp.Path);

        var e = Assert.Throws<ResultsFolderInUseException>(() => ResultsFolder.Open(tmp.Path, overwrite: true));

        Assert.Equal(Environment.ProcessId, e.OwnerPid);
    }

    [Fact]
    public void A_scenario_file_of_the_users_in_the_folder_is_never_replaced()
    {
        // Prepare: the user's own scenario.yaml, run with `output: .` (its folder).
        using var tmp = new TempDir();
        File.WriteAllText(Path.Combine(tmp.Path, ResultsFolder.ScenarioFileName), "# my experiment\nname: mine\n");

        // Execute
        var e = Assert.Throws<ResultsFolderOccupiedException>(() => ResultsFolder.Open(tmp.Path, overwrite: true));

        // Assert
        Assert.Contains("--output", e.Message);
        Assert.Equal("# my experiment\nname: mine\n", File.ReadAllText(Path.Combine(tmp.Path, ResultsFolder.ScenarioFileName)));
    }
}
