namespace FedSim.Training;

public static class OptimizerKinds
{
    public const string Sgd = "sgd";
    public const string Momentum = "momentum";
    public const string Adam = "adam";
    public static readonly string[] All = [Sgd, Momentum, Adam];
}
