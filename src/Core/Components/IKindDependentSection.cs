namespace FedSim.Components;

/// <summary>
/// A scenario section whose keys apply only to some values of its <c>kind</c> (the dataset section: <c>samples</c>
/// for generated data, <c>test_fraction</c> for datasets without their own test split). The scenario saved beside
/// a run leaves out the keys that do not apply, so it shows what shaped the run and nothing else.
/// </summary>
public interface IKindDependentSection
{
    /// <summary>Whether the section's current kind reads the key <paramref name="key"/> (its scenario name).</summary>
    bool Applies(string key);
}
