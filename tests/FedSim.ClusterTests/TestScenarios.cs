using FedSim.Scenario;
using FedSim.GrainInterfaces;
using FedSim.Data;
using FedSim.Models;

namespace FedSim.ClusterTests;

internal static class TestScenarios
{
    /// <summary>A small synthetic-data experiment that runs in seconds.</summary>
    public static ScenarioSpec SmallSynthetic(int devices = 20, int perRound = 5, int rounds = 3, ulong seed = 7) => new()
    {
        Name = "cluster-test",
        Seed = seed,
        Devices = devices,
        Dataset = new DatasetSpec { Kind = DatasetKinds.Synthetic, Samples = 3000, Partition = new PartitionSpec { Kind = PartitionKinds.Iid } },
        Model = new ModelSpecOptions { Kind = ModelKinds.Mlp, Hidden = [16] },
        Training = new TrainingSpec { Rounds = rounds, DevicesPerRound = perRound, LocalEpochs = 1, BatchSize = 16, LearningRate = 0.1 },
    };

    /// <summary>A run that has not finished by then has hung: fail the test instead of the whole CI job.</summary>
    public static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;

    /// <summary>
    /// A folder of the project's real datasets: shared/datasets beside the repository, found from the test binaries
    /// upward (or $FEDSIM_SHARED_DATASETS). Missing data fails the test with where it should be.
    /// </summary>
    public static string SharedDataset(string folder)
    {
        if (Environment.GetEnvironmentVariable("FEDSIM_SHARED_DATASETS") is { Length: > 0 } root) return Path.Combine(root, folder);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "datasets", folder);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"shared/datasets/{folder} not found above {AppContext.BaseDirectory}; the datasets sit in ../shared/datasets beside the repository (or set FEDSIM_SHARED_DATASETS).");
    }

    /// <summary>Reports with the wall-clock column blanked: everything else must be reproducible.</summary>
    public static IReadOnlyList<RoundReport> WithoutWallTime(IEnumerable<RoundReport> reports)
        => reports.Select(r => r with { WallSeconds = 0 }).ToList();
}
