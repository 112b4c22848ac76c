using System.CommandLine;
using System.Globalization;
using FedSim.GrainInterfaces;
using FedSim.Scenarios.Running;

namespace FedSim.Scenarios.Cli;

/// <summary>The options that name a running cluster, shared by <c>run</c>, <c>status</c> and <c>cancel</c>.</summary>
internal static class ClusterOptions
{
    /// <summary>Read when --cluster is not given, so the connection string (and its password) stays out of shell history.</summary>
    public const string ConnectionVariable = "FEDSIM_CLUSTER";

    public static Option<string?> Connection() => new("--cluster")
    {
        Description = $"PostgreSQL connection string of a running FedSim cluster (Npgsql syntax, e.g. \"Host=db;Username=fedsim;Password=...;Database=fedsim\"); " +
                      $"status and cancel also read ${ConnectionVariable}.",
    };

    public static Option<string> Id() => new("--cluster-id")
    {
        Description = "The cluster's id (the silos' FEDSIM__CLUSTERID).",
        DefaultValueFactory = _ => "fedsim",
    };

    /// <summary>The cluster named on the command line (or, when <paramref name="required"/>, in the environment); null: none.</summary>
    public static ClusterTarget? Target(ParseResult parse, Option<string?> connection, Option<string> id, bool required)
    {
        string? value = parse.GetValue(connection);
        if (value is null && required) value = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required) throw new CliUsageException($"name the cluster: --cluster \"Host=...;Database=...\" or ${ConnectionVariable}");
            return null;
        }
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--cluster is not a PostgreSQL connection string ({e.Message}); expected e.g. \"Host=127.0.0.1;Port=5433;Username=fedsim;Password=...;Database=fedsim\"");
        }
        return new ClusterTarget(value, parse.GetValue(id)!);
    }
}

/// <summary>
/// <c>fedsim status [ID] --cluster CONNECTION</c> and <c>fedsim cancel ID --cluster CONNECTION</c>: the experiments
/// submitted to a cluster, one experiment's progress, and ending one for good.
/// </summary>
internal static class ClusterCommands
{
    public static Command Status(CliContext context)
    {
        var id = new Argument<string?>("ID") { Description = "An experiment's id (as `fedsim run --cluster` printed it); none lists them all.", Arity = ArgumentArity.ZeroOrOne };
        var cluster = ClusterOptions.Connection();
        var clusterId = ClusterOptions.Id();
        var command = new Command("status", "Experiments submitted to a running cluster and their progress.");
        command.Arguments.Add(id);
        command.Options.Add(cluster);
        command.Options.Add(clusterId);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = ClusterOptions.Target(parse, cluster, clusterId, required: true)!;
            await using var client = await ClusterClient.ConnectAsync(target.ConnectionString, target.ClusterId, target.ServiceId, null, cancellationToken);
            if (parse.GetValue(id) is { } experimentId)
            {
                var status = await Progress(client, experimentId, cancellationToken);
                if (status.TotalRounds == 0)
                    throw new CliUsageException($"no experiment '{experimentId}' in cluster '{target.ClusterId}'; `fedsim status --cluster ...` lists them");
                context.Out.WriteLine($"{experimentId}: {State(status)}, {status.CompletedRounds} of {status.TotalRounds} rounds");
                if (status.Reports.LastOrDefault() is { } last)
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"last round {last.Round}: test accuracy {Format(last.TestAccuracy)}, test loss {Format(last.TestLoss)}, {last.Participants} participants, {last.WallSeconds:0.0} s"));
                if (status.Error is not null) context.Out.WriteLine($"{(status.Cancelled ? "reason" : "error")}: {status.Error}");
                return ExitCodes.Success;
            }
            var entries = await ExperimentDriver.RetryAsync(() => client.Grains.GetGrain<IExperimentRegistryGrain>(0).ListAsync(),
                TimeSpan.FromSeconds(30), cancellationToken);
            if (entries.Count == 0)
            {
                context.Out.WriteLine($"no experiments in cluster '{target.ClusterId}'");
                return ExitCodes.Success;
            }
            context.Out.WriteLine($"{"experiment",-48} {"name",-20} {"state",-10} {"rounds",9}  submitted (UTC)");
            foreach (var entry in entries)
            {
                var status = await Progress(client, entry.ExperimentId, cancellationToken);
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{entry.ExperimentId,-48} {entry.Name,-20} {State(status),-10} {$"{status.CompletedRounds}/{status.TotalRounds}",9}  {entry.Submitted:yyyy-MM-dd HH:mm}"));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Cancel(CliContext context)
    {
        var id = new Argument<string>("ID") { Description = "The experiment's id (see `fedsim status`)." };
        var cluster = ClusterOptions.Connection();
        var clusterId = ClusterOptions.Id();
        var command = new Command("cancel", "End an experiment running on a cluster for good (its finished rounds stay in its checkpoint).");
        command.Arguments.Add(id);
        command.Options.Add(cluster);
        command.Options.Add(clusterId);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = ClusterOptions.Target(parse, cluster, clusterId, required: true)!;
            string experimentId = parse.GetValue(id)!;
            await using var client = await ClusterClient.ConnectAsync(target.ConnectionString, target.ClusterId, target.ServiceId, null, cancellationToken);
            var before = await Progress(client, experimentId, cancellationToken);
            if (before.TotalRounds == 0)
                throw new CliUsageException($"no experiment '{experimentId}' in cluster '{target.ClusterId}'; `fedsim status --cluster ...` lists them");
            if (before.Finished)
            {
                context.Out.WriteLine($"{experimentId}: already {State(before)}; nothing to cancel");
                return ExitCodes.Success;
            }
            var experiment = client.Grains.GetGrain<IExperimentGrain>(experimentId);
            await ExperimentDriver.RetryAsync(() => experiment.CancelAsync($"cancelled by fedsim cancel on {Environment.MachineName}"),
                ExperimentDriver.DefaultPatience, cancellationToken);
            var after = await Progress(client, experimentId, cancellationToken);
            context.Out.WriteLine($"{experimentId}: cancelled after {after.CompletedRounds} of {after.TotalRounds} rounds");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The experiment's progress with only its last report (a never-started id answers 0 of 0 rounds).</summary>
    private static async Task<ExperimentStatus> Progress(ClusterClient client, string experimentId, CancellationToken cancellationToken)
    {
        var experiment = client.Grains.GetGrain<IExperimentGrain>(experimentId);
        var head = await ExperimentDriver.RetryAsync(() => experiment.GetStatusSinceAsync(int.MaxValue), ExperimentDriver.DefaultPatience, cancellationToken);
        if (head.CompletedRounds == 0) return head;
        return await ExperimentDriver.RetryAsync(() => experiment.GetStatusSinceAsync(head.CompletedRounds - 1), ExperimentDriver.DefaultPatience, cancellationToken);
    }

    private static string State(ExperimentStatus status) => status switch
    {
        { Cancelled: true } => "cancelled",
        { Finished: true, Error: not null } => "failed",
        { Finished: true } => "completed",
        _ => "running",
    };

    private static string Format(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "-";
}
