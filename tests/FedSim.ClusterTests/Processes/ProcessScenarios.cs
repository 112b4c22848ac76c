using System.Globalization;

namespace FedSim.ClusterTests.Processes;

/// <summary>Scenario files for the tests that stop and resume real <c>fedsim</c> processes.</summary>
internal static class ProcessScenarios
{
    /// <summary>
    /// SCAFFOLD on synthetic Dirichlet data: devices write their state every round and the server keeps its own, so
    /// both must survive a stop; small enough that a round takes well under a second on 2 cores.
    /// </summary>
    public static string Scaffold(string name, int rounds, double dropout = 0) => $"""
        name: {name}
        seed: 12
        devices: 16
        dataset:
          kind: synthetic
          samples: 6000
          partition:
            kind: dirichlet
            alpha: 0.5
        model:
          kind: mlp
          hidden: [32]
        training:
          rounds: {rounds}
          devices_per_round: 6
          local_epochs: 2
          batch_size: 10
          learning_rate: 0.05
        strategy:
          kind: scaffold
        heterogeneity:
          dropout: {dropout.ToString(CultureInfo.InvariantCulture)}
        """;
}
