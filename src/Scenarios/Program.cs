using FedSim.Scenarios.Cli;

namespace FedSim.Scenarios;

public static class Program
{
    public static Task<int> Main(string[] args) => FedSimCli.RunAsync(args, Console.Out, Console.Error);
}
