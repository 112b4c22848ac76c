using Bogus;
using FedSim.Determinism;

namespace FedSim.Data;

/// <summary>
/// The default dataset, needing no files: synthetic retail-bank customers (age, income, balance, tenure,
/// products, credit score, card and activity flags, region / segment / channel) generated with Bogus, labelled
/// "churned" by a hidden ground-truth model. The hidden score is linear in the standardized fields plus two
/// effects a linear model cannot express (a U-shape in the number of products and an age x balance
/// interaction), so logistic regression clearly beats the majority class and an MLP does better still.
/// About 25% of customers churn; 5% of labels are flipped as noise. Fully determined by (samples, seed).
/// </summary>
public static class SyntheticTabular
{
    public const double PositiveRate = 0.25;
    public const double LabelNoise = 0.05;

    public static readonly string[] Regions = ["Central", "East", "North", "South", "West"];
    public static readonly string[] Segments = ["business", "premier", "retail", "student"];
    public static readonly string[] Channels = ["branch", "mobile", "online"];

    public static readonly string[] NumericFeatureNames =
        ["age", "log_income", "balance_k", "tenure_years", "products", "credit_score", "has_credit_card", "is_active_member"];

    /// <summary>Names of all features, in column order (numeric first, then one-hot groups).</summary>
    public static string[] FeatureNames { get; } = NumericFeatureNames
        .Concat(Regions.Select(r => "region=" + r))
        .Concat(Segments.Select(s => "segment=" + s))
        .Concat(Channels.Select(c => "channel=" + c)).ToArray();

    /// <summary>Generates <paramref name="samples"/> customers and splits them (stratified) by <paramref name="testFraction"/>.</summary>
    public static DatasetSplit Generate(int samples, double testFraction, ulong seed)
    {
        var raw = GenerateRaw(samples, seed);
        var all = new Dataset("synthetic", raw.Features, raw.Labels, FeatureNames.Length, 2, featureNames: FeatureNames);
        var (trainIdx, testIdx) = Tabular.StratifiedSplit(raw.Labels, 2, testFraction, seed);
        var train = all.Subset(trainIdx, "synthetic-train");
        var test = all.Subset(testIdx, "synthetic-test");
        // Continuous columns are z-scored with training statistics; flags and one-hot columns stay 0/1.
        int[] continuous = [0, 1, 2, 3, 4, 5];
        var (mean, std) = Tabular.ColumnStats(train.Features, train.FeatureCount);
        Tabular.Standardize(train.Features, train.FeatureCount, mean, std, continuous);
        Tabular.Standardize(test.Features, test.FeatureCount, mean, std, continuous);
        return new DatasetSplit(train, test);
    }

    /// <summary>Branches per region in <see cref="ToCsv"/>: the owner column the natural partition splits by.</summary>
    public const int BranchesPerRegion = 4;

    /// <summary>
    /// The same customers as a CSV file a researcher might export from a bank's systems (the csv example's data):
    /// raw, unscaled values with a header, text categories, a "branch" owner column (region-number, four branches
    /// per region) and the label "churned" as yes/no. About 2 % of "channel" cells are left empty (not recorded),
    /// which the csv reader keeps as a category of its own. Fully determined by (samples, seed).
    /// </summary>
    public static string ToCsv(int samples, ulong seed)
    {
        var raw = GenerateRaw(samples, seed);
        // Branch and missing-channel draws come from a third sibling stream (device slot 2).
        var rng = new DeterministicRandom(Seeds.Derive(seed, Seeds.None, 2, SeedPurpose.SyntheticData));
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder(samples * 80);
        sb.Append("age,income,balance,tenure_years,products,credit_score,has_credit_card,is_active_member,region,segment,channel,branch,churned\n");
        int f = FeatureNames.Length;
        for (int i = 0; i < samples; i++)
        {
            var row = raw.Features.AsSpan(i * f, f);
            string region = Regions[OneHot(row.Slice(8, Regions.Length))];
            string segment = Segments[OneHot(row.Slice(8 + Regions.Length, Segments.Length))];
            string channel = Channels[OneHot(row.Slice(8 + Regions.Length + Segments.Length, Channels.Length))];
            int branch = 1 + rng.NextInt(BranchesPerRegion);
            if (rng.NextDouble() < 0.02) channel = "";
            sb.Append(string.Create(ci,
                $"{row[0]:0},{Math.Exp(row[1]):0},{row[2] * 1000:0.00},{row[3]:0},{row[4]:0},{row[5]:0},{row[6]:0},{row[7]:0},{region},{segment},{channel},{region}-{branch},{(raw.Labels[i] == 1 ? "yes" : "no")}\n"));
        }
        return sb.ToString();
    }

    private static int OneHot(ReadOnlySpan<float> group) => group.IndexOf(1f);

    /// <summary>Unsplit, unscaled features, noisy labels and the hidden model's own (noise-free) labels.</summary>
    internal sealed record RawData(float[] Features, int[] Labels, int[] HiddenLabels);

    internal sealed class Customer
    {
        public int Age;
        public string Segment = "";
        public double Income;
        public double Balance;
        public int TenureYears;
        public int Products;
        public int CreditScore;
        public bool HasCreditCard;
        public bool IsActiveMember;
        public string Region = "";
        public string Channel = "";
    }

    internal static RawData GenerateRaw(int samples, ulong seed)
    {
        if (samples < 10) throw new ArgumentOutOfRangeException(nameof(samples), samples, "synthetic data needs at least 10 samples.");
        int bogusSeed = Seeds.ToInt32(Seeds.Derive(seed, Seeds.None, Seeds.None, SeedPurpose.SyntheticData));
        var customers = CustomerFaker(bogusSeed).Generate(samples);

        // Jitter and label noise come from the project's generator on a sibling stream (device slot 1).
        var rng = new DeterministicRandom(Seeds.Derive(seed, Seeds.None, 1, SeedPurpose.SyntheticData));
        var scores = new double[samples];
        for (int i = 0; i < samples; i++) scores[i] = HiddenScore(customers[i]) + 0.25 * rng.NextGaussian();

        // Threshold at the (1 - PositiveRate) quantile so the class balance is fixed whatever the draw.
        var sorted = (double[])scores.Clone();
        Array.Sort(sorted);
        double threshold = sorted[(int)Math.Floor((1 - PositiveRate) * (samples - 1))];

        int f = FeatureNames.Length;
        var features = new float[(long)samples * f];
        var labels = new int[samples];
        var hidden = new int[samples];
        for (int i = 0; i < samples; i++)
        {
            var c = customers[i];
            var row = features.AsSpan(i * f, f);
            row[0] = c.Age;
            row[1] = (float)Math.Log(c.Income);
            row[2] = (float)(c.Balance / 1000);
            row[3] = c.TenureYears;
            row[4] = c.Products;
            row[5] = c.CreditScore;
            row[6] = c.HasCreditCard ? 1 : 0;
            row[7] = c.IsActiveMember ? 1 : 0;
            row[8 + Array.IndexOf(Regions, c.Region)] = 1;
            row[8 + Regions.Length + Array.IndexOf(Segments, c.Segment)] = 1;
            row[8 + Regions.Length + Segments.Length + Array.IndexOf(Channels, c.Channel)] = 1;
            hidden[i] = scores[i] > threshold ? 1 : 0;
            labels[i] = rng.NextDouble() < LabelNoise ? 1 - hidden[i] : hidden[i];
        }
        return new RawData(features, labels, hidden);
    }

    /// <summary>
    /// The ground-truth churn score. Linear terms use fixed population scalings (not sample statistics) so the
    /// concept is the same for every seed; the products U-shape and the age x balance product are the nonlinear part.
    /// </summary>
    internal static double HiddenScore(Customer c)
    {
        double age = (c.Age - 42) / 13.0;
        double income = (Math.Log(c.Income) - 10.9) / 0.45;
        double balance = (c.Balance - 65_000) / 55_000;
        double tenure = (c.TenureYears - 6) / 5.0;
        double credit = (c.CreditScore - 650) / 90.0;
        double s = 0.9 * age - 0.35 * income + 0.4 * balance - 0.45 * tenure - 0.3 * credit
                   - 1.1 * (c.IsActiveMember ? 1 : 0) - 0.15 * (c.HasCreditCard ? 1 : 0);
        s += c.Region switch { "East" => 0.7, "Central" => 0.1, "West" => -0.2, _ => 0.0 };
        s += c.Segment switch { "student" => 0.4, "premier" => -0.5, "business" => 0.2, _ => 0.0 };
        s += c.Channel == "branch" ? -0.3 : 0.0;
        // Customers with two products are sticky; one product or three and more churn (U-shape in a numeric field).
        s += c.Products switch { 1 => 0.5, 2 => -0.9, 3 => 1.4, _ => 2.2 };
        // Older customers with large balances leave for wealth managers.
        s += 0.8 * age * balance;
        return s;
    }

    private static double Gaussian(Randomizer r)
    {
        // Box-Muller on Bogus' uniform draws; 1 - u keeps the logarithm finite.
        double u1 = 1.0 - r.Double(), u2 = r.Double();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static Faker<Customer> CustomerFaker(int seed) =>
        new Faker<Customer>()
            .UseSeed(seed)
            // Rules run in declaration order, so later fields may depend on earlier ones.
            .RuleFor(c => c.Age, f => Math.Clamp((int)Math.Round(42 + 13 * Gaussian(f.Random)), 18, 90))
            .RuleFor(c => c.Segment, (f, c) => c.Age < 26 && f.Random.Bool(0.6f)
                ? "student"
                : f.Random.WeightedRandom(["retail", "premier", "business"], [0.72f, 0.14f, 0.14f]))
            .RuleFor(c => c.Income, (f, c) => Math.Exp(10.8 + 0.4 * Gaussian(f.Random) + 0.012 * (Math.Min(c.Age, 60) - 42)
                + c.Segment switch { "premier" => 0.6, "business" => 0.35, "student" => -0.9, _ => 0.0 }))
            .RuleFor(c => c.Balance, (f, c) => f.Random.Bool(0.3f)
                ? 0.0
                : Math.Max(0, 95_000 + 40_000 * Gaussian(f.Random) + 0.5 * (c.Income - 55_000)))
            .RuleFor(c => c.TenureYears, (f, c) => f.Random.Int(0, Math.Min(c.Age - 18, 15)))
            .RuleFor(c => c.Products, f => f.Random.WeightedRandom([1, 2, 3, 4], [0.5f, 0.42f, 0.06f, 0.02f]))
            .RuleFor(c => c.CreditScore, f => Math.Clamp((int)Math.Round(650 + 90 * Gaussian(f.Random)), 350, 850))
            .RuleFor(c => c.HasCreditCard, f => f.Random.Bool(0.7f))
            .RuleFor(c => c.IsActiveMember, (f, c) => f.Random.Bool(c.TenureYears > 3 ? 0.6f : 0.45f))
            .RuleFor(c => c.Region, f => f.Random.WeightedRandom(Regions, [0.2f, 0.25f, 0.2f, 0.15f, 0.2f]))
            .RuleFor(c => c.Channel, (f, c) => c.Age < 35
                ? f.Random.WeightedRandom(Channels, [0.1f, 0.6f, 0.3f])
                : f.Random.WeightedRandom(Channels, [0.4f, 0.25f, 0.35f]));
}
