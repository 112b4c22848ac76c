namespace FedSim.Persistence;

/// <summary>Names of the Orleans storage providers FedSim uses.</summary>
public static class FedSimStorage
{
    public const string Checkpoints = "fedsim-checkpoints";
}
