using FedSim.Training;

namespace FedSim.Strategies.ClientObjectives;

/// <summary>
/// SCAFFOLD's client and control variates (Karimireddy et al. 2020, "SCAFFOLD: Stochastic Controlled
/// Averaging for Federated Learning", Algorithm 1 with option II):
/// <list type="bullet">
/// <item>the server broadcasts c with the model; each local gradient gains c − c_i (a per-device input);</item>
/// <item>after K local steps at rate η_l: c_i⁺ = c_i − c + (x − y_i)/(K·η_l), i.e. with Δ = y_i − x, c_i⁺ = c_i − c − Δ/(K·η_l);
/// the device keeps c_i⁺ and sends Δc_i = c_i⁺ − c_i;</item>
/// <item>the server sets c ← c + (1/N)·Σ_{i∈S} Δc_i over the updates it used (N: all devices).</item>
/// </list>
/// A device's c_i changes when it finishes local training, as on a real device; the server's c counts only
/// the updates it aggregated.
/// </summary>
public sealed class ScaffoldObjective : ClientObjective
{
    public const string ServerControl = "scaffold.c";
    public const string DeviceControl = "scaffold.c_i";
    public const string ControlDelta = "scaffold.delta_c";

    public override IReadOnlyList<PlanModifier> Modifiers { get; } = [new ControlVariateCorrection()];

    public override bool UsesDeviceState => true;

    public override int ExtraUploadVectors => 1;

    public override IReadOnlyDictionary<string, float[]> Broadcast(ServerState state, int parameters)
        => new Dictionary<string, float[]> { [ServerControl] = state.Vector(ServerControl, parameters) };

    public override IReadOnlyDictionary<string, float[]> DeviceInputs(IReadOnlyDictionary<string, float[]> broadcast, DeviceState? state, int parameters)
    {
        var c = broadcast[ServerControl];
        var ci = state?.Vectors.GetValueOrDefault(DeviceControl);
        var correction = new float[parameters];
        for (int i = 0; i < parameters; i++) correction[i] = c[i] - (ci?[i] ?? 0f);
        return new Dictionary<string, float[]> { [ControlVariateCorrection.DeviceVector] = correction };
    }

    public override ClientOutputs AfterTraining(IReadOnlyDictionary<string, float[]> broadcast, DeviceState? state, LocalTrainingOutcome outcome, int round)
    {
        if (outcome.Steps == 0) return ClientOutputs.None;
        var c = broadcast[ServerControl];
        var ci = state?.Vectors.GetValueOrDefault(DeviceControl);
        int n = outcome.Delta.Length;
        double scale = 1.0 / (outcome.Steps * (double)outcome.LearningRate);
        var next = new float[n];
        var delta = new float[n];
        for (int i = 0; i < n; i++)
        {
            double old = ci?[i] ?? 0.0;
            double updated = old - c[i] - outcome.Delta[i] * scale;
            next[i] = (float)updated;
            delta[i] = (float)(updated - old);
        }
        var nextState = new DeviceState { Round = round };
        nextState.Vectors[DeviceControl] = next;
        return new ClientOutputs(nextState, new Dictionary<string, float[]> { [ControlDelta] = delta });
    }

    public override void UpdateServerState(ServerState state, IReadOnlyList<DeviceResult> used, RoundContext context)
    {
        if (used.Count == 0) return;
        var c = state.Vector(ServerControl, used[0].Delta.Length);
        var sum = new double[c.Length];
        foreach (var r in used)
        {
            var dc = r.Extra(ControlDelta) ?? throw new InvalidOperationException($"device {r.DeviceId} sent no {ControlDelta}");
            for (int i = 0; i < sum.Length; i++) sum[i] += dc[i];
        }
        // A new array, not an in-place update: this round's c went out with the model, and a device that is still
        // finishing an abandoned attempt of the round must see the c it was sent.
        var next = new float[c.Length];
        for (int i = 0; i < c.Length; i++) next[i] = (float)(c[i] + sum[i] / context.Population);
        state.Vectors[ServerControl] = next;
    }
}
