using System.Globalization;
using FedSim.Components;

namespace FedSim.Data.Kinds;

/// <summary>Generated bank-customer-style tabular data (<see cref="SyntheticTabular"/>): no files, any size.</summary>
public sealed class SyntheticDataset : DatasetKind
{
    public override string Name => DatasetKinds.Synthetic;
    public override int Order => 0;
    public override string Summary => "generated tabular data, dataset.samples rows, 2 classes";
    public override bool IsGenerated => true;

    public override DatasetGeometry Geometry(DatasetSpec spec) =>
        new(SyntheticTabular.FeatureNames.Length, 2, null, DatasetGeometry.TrainPart(spec.Samples, spec.TestFraction));

    public override DatasetSplit Load(DatasetSpec spec, string? path, ulong seed) =>
        SyntheticTabular.Generate(spec.Samples, spec.TestFraction, seed);

    public override object CacheKey(DatasetSpec spec, string? path, ulong seed) => new GeneratedKey(spec.Samples, spec.TestFraction, seed);

    private sealed record GeneratedKey(int Samples, double TestFraction, ulong Seed);

    protected override IEnumerable<ComponentFinding> CheckOptions(DatasetSpec spec, DatasetRuleContext context)
    {
        if (!context.IsValid("dataset.samples") || !context.IsValid("dataset.test_fraction") || !context.IsValid("devices")) yield break;
        long train = (long)Math.Floor(spec.Samples * (1 - spec.TestFraction));
        if (train < context.Devices)
            yield return new(context.IsSet("dataset.samples") ? "dataset.samples" : "devices",
                $"synthetic data has {train} training samples (samples {spec.Samples} x (1 - test_fraction {Format(spec.TestFraction)})), fewer than devices ({context.Devices}); every device needs at least one: raise dataset.samples or lower devices");
    }

    // As the scenario rules print numbers: no exponent, no trailing zeros.
    private static string Format(double v) => v.ToString("0.################", CultureInfo.InvariantCulture);
}
