using System.ComponentModel;

namespace FedSim.Data;

// The dataset section of a scenario (dataset:, dataset.partition:): what to load and how to split it over devices.

public static class PartitionKinds
{
    public const string Iid = "iid";
    public const string Dirichlet = "dirichlet";
    public const string Shards = "shards";
    public const string QuantitySkew = "quantity-skew";
    public const string Natural = "natural";
    public static readonly string[] All = [Iid, Dirichlet, Shards, QuantitySkew, Natural];
}

[GenerateSerializer]
public sealed class DatasetSpec : FedSim.Components.IKindDependentSection
{
    // The description lists the kinds found (DatasetKinds), so a new kind needs no edit here.
    [Id(0), DatasetKindsDescription]
    public string Kind { get; set; } = DatasetKinds.Synthetic;

    [Id(1), Description("File or folder holding the dataset (relative paths resolve against the scenario file). Not used by synthetic.")]
    public string? Path { get; set; }

    [Id(2), Description("Synthetic only: number of samples generated (train + test).")]
    public int Samples { get; set; } = 12000;

    [Id(3), Description("Fraction held out for server-side testing, for datasets without their own test split.")]
    public double TestFraction { get; set; } = 0.2;

    [Id(4), Description("How training samples are split over devices.")]
    public PartitionSpec Partition { get; set; } = new();

    [Id(5), Description("csv only: the header name of the column holding each row's class (integers or names).")]
    public string LabelColumn { get; set; } = "label";

    [Id(6), Description("csv only: the header name of a column naming each row's owner (device, client, site); enables partition natural, one device per owner.")]
    public string? OwnerColumn { get; set; }

    [Id(7), Description("shakespeare only: owners (speakers) with fewer samples than this are left out, as LEAF drops users with too few samples; summary.json counts them.")]
    public int MinSamplesPerOwner { get; set; } = 2;

    /// <summary>An unknown kind reads every key (the scenario checks name the kind itself).</summary>
    public bool Applies(string key) => DatasetKinds.Of(Kind)?.Reads(key) ?? true;
}

[GenerateSerializer]
public sealed class PartitionSpec
{
    [Id(0), Description("iid | dirichlet (label skew, alpha) | shards (McMahan's pathological non-IID) | quantity-skew (log-normal sizes) | natural (dataset's own owners, e.g. FEMNIST writers).")]
    public string Kind { get; set; } = PartitionKinds.Iid;

    [Id(1), Description("Dirichlet concentration; smaller is more skewed.")]
    public double Alpha { get; set; } = 0.5;

    [Id(2), Description("Shards: label-sorted shards given to each device.")]
    public int ShardsPerDevice { get; set; } = 2;

    [Id(3), Description("Quantity skew: sigma of the log-normal device sizes.")]
    public double Sigma { get; set; } = 1.0;

    [Id(4), Description("Minimum samples per device (dirichlet and quantity-skew redraw or top up to meet it).")]
    public int MinSamples { get; set; } = 1;
}
