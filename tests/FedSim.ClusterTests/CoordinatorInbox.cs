using System.Collections.Concurrent;
using FedSim.GrainInterfaces;

namespace FedSim.ClusterTests;

/// <summary>
/// Records everything a coordinator receives in experiments whose id starts with <see cref="Prefix"/>: the arguments of
/// every call into the experiment grain and the answers of every call it makes to a device grain. A test can then
/// check what the coordinator ever held.
/// </summary>
public sealed class CoordinatorInbox : IIncomingGrainCallFilter
{
    public const string Prefix = "inbox-";

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<object>> Received = new();

    public static IReadOnlyList<object> Of(string experimentId) => Received.TryGetValue(experimentId, out var q) ? q.ToArray() : [];

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        string key = context.TargetId.Key.ToString()!;
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return;
        if (context.InterfaceMethod?.DeclaringType == typeof(IExperimentGrain))
        {
            var queue = Received.GetOrAdd(key, _ => new());
            for (int i = 0; i < context.Request.GetArgumentCount(); i++)
                if (context.Request.GetArgument(i) is { } argument) queue.Enqueue(argument);
        }
        else if (context.InterfaceMethod?.DeclaringType == typeof(IDeviceGrain) && context.Result is { } answer and not Task)
        {
            // Device keys are "experimentId/device"; profile and example-count answers are metadata, not updates.
            Received.GetOrAdd(key[..key.LastIndexOf('/')], _ => new()).Enqueue(answer);
        }
    }
}
