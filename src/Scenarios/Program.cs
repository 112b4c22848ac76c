using FedSim.Scenarios.Cli;

namespace FedSim.Scenarios;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Signals first: a Ctrl+C during start-up must already take the clean path.
        using var interruption = Interruption.ListenToProcessSignals(Console.Error);
        int exit = await FedSimCli.RunAsync(args, Console.Out, Console.Error, interruption);
        if (Running.EmbeddedSilo.NativeWorkOutlived)
        {
            // A cohort outlived the silo's bounded stop and is still inside libtorch: a normal exit would destroy
            // libtorch's statics under it. Everything of ours is written and flushed; end here.
            Console.Out.Flush();
            Console.Error.Flush();
            Interruption.ExitImmediately(exit);
        }
        return exit;
    }
}
