using System.Text;
using FedSim.Tests.Data;

namespace FedSim.Tests.Hostile;

/// <summary>
/// Bad dataset files, each run through the real `fedsim run` (FedSimCli.RunAsync): every one must end in exit 2 with
/// `file:line: what, and how to fix it` (the line where one applies), no stack trace, and no results folder, since the
/// data is read before anything else starts. Most are caught by the readers at run time; csv header problems already
/// by the validation `run` does first.
/// </summary>
public sealed class HostileDatasetTests : IClassFixture<HostileFiles>
{
    private readonly HostileFiles _files;

    public HostileDatasetTests(HostileFiles files) => _files = files;

    /// <summary>
    /// One hostile dataset. <paramref name="Build"/> writes the files into the case's folder and returns the value of
    /// dataset.path; <paramref name="File"/> is the file the message must name (relative to the folder) and
    /// <paramref name="Line"/> its line, when the format has lines.
    /// </summary>
    public sealed record Case(string Kind, Func<string, string> Build, string File, int? Line, string Phrase, string Yaml = "");

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Bad_dataset_is_rejected_with_file_line_and_fix_before_anything_starts(string name)
    {
        // Prepare
        var c = Cases[name];
        string dir = _files.Folder(name);
        string datasetPath = c.Build(dir);
        string scenario = Path.Combine(dir, "scenario.yaml");
        File.WriteAllText(scenario,
            $"name: hostile\ndevices: 2\ndataset:\n  kind: {c.Kind}\n  path: '{datasetPath}'\n{c.Yaml}training:\n  rounds: 1\n  devices_per_round: 2\n");
        string output = Path.Combine(dir, "out");

        // Execute
        var run = await HostileFiles.Cli("run", scenario, "--quiet", "--output", output);

        // Assert
        string file = Path.Combine(dir, c.File);
        HostileFiles.AssertRejected(run, c.Line is { } line ? $"{file}:{line}: " : file, c.Phrase);
        Assert.False(Directory.Exists(output), "a results folder was created for a run that never started");
    }

    [Fact]
    public void There_are_many_hostile_dataset_cases()
    {
        Assert.True(Cases.Count >= 60, $"{Cases.Count} cases");
    }

    // ---- builders -------------------------------------------------------------------------------------------

    private static string Write(string dir, string name, string text)
    {
        File.WriteAllText(Path.Combine(dir, name), text);
        return name;
    }

    private static string WriteBytes(string dir, string name, byte[] bytes)
    {
        File.WriteAllBytes(Path.Combine(dir, name), bytes);
        return name;
    }

    // scikit-learn CSV: header "n_samples,n_features,class names", rows of 3 features and the label.
    private const string SkHeader = "4,3,benign,malignant\n";
    private static string Sk(string badRow) => SkHeader + "1.5,2.5,3.5,0\n" + badRow + "\n2.5,1.5,0.5,1\n1.0,1.0,1.0,0\n";
    private static Case SkCase(string badRow, string phrase) =>
        new("sklearn-breast-cancer", d => Write(d, "bc.csv", Sk(badRow)), "bc.csv", 3, phrase);
    private static Case SkFile(string text, int? line, string phrase) =>
        new("sklearn-breast-cancer", d => Write(d, "bc.csv", text), "bc.csv", line, phrase);

    private static string SkGood => Sk("0.5,0.5,0.5,1");

    private static byte[] Truncated(byte[] gz) => gz[..(gz.Length / 2)];

    private static byte[] Flipped(byte[] gz)
    {
        var copy = (byte[])gz.Clone();
        for (int i = 12; i < copy.Length - 8; i += 7) copy[i] ^= 0x5A;
        return copy;
    }

    private static string Digits(int rows, int values) =>
        string.Concat(Enumerable.Range(0, rows).Select(r => string.Join(',', Enumerable.Range(0, values).Select(v => (v + r) % 17)) + $",{r % 10}\n"));

    // UCI Adult: 14 attributes and the label.
    private const string AdultGood = "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K";
    private const string AdultRich = "52, Self-emp-inc, 287927, HS-grad, 9, Married-civ-spouse, Exec-managerial, Wife, White, Female, 15024, 0, 40, United-States, >50K";
    private static string AdultTest => "|1x3 Cross validator\n" + AdultGood + ".\n" + AdultRich + ".\n";

    private static Case AdultCase(string badData, int line, string phrase) =>
        new("adult", d =>
        {
            Write(d, "adult.data", badData);
            Write(d, "adult.test", AdultTest);
            return d;
        }, "adult.data", line, phrase);

    private static string AdultWith(string badLine) => AdultGood + "\n" + badLine + "\n" + AdultRich + "\n";

    // MNIST-style IDX folder: 4 training and 2 test images of 2x2.
    private static Case IdxCase(Func<string, string> breakIt, string file, string phrase) =>
        new("mnist", d =>
        {
            File.WriteAllBytes(Path.Combine(d, "train-images-idx3-ubyte.gz"), HostileFiles.Gzip(TestData.IdxImages(4, 2, 2)));
            File.WriteAllBytes(Path.Combine(d, "train-labels-idx1-ubyte.gz"), HostileFiles.Gzip(TestData.IdxLabels(0, 1, 2, 3)));
            File.WriteAllBytes(Path.Combine(d, "t10k-images-idx3-ubyte.gz"), HostileFiles.Gzip(TestData.IdxImages(2, 2, 2)));
            File.WriteAllBytes(Path.Combine(d, "t10k-labels-idx1-ubyte.gz"), HostileFiles.Gzip(TestData.IdxLabels(4, 5)));
            breakIt(d);
            return d;
        }, file, null, phrase);

    // LEAF JSON (FEMNIST: 784 features, 62 classes), one line per file.
    private static string Pixels(int n = 784, string value = "0.5") => "[" + string.Join(',', Enumerable.Repeat(value, n)) + "]";
    private static string Leaf(string userData, string users = "[\"f0001\"]", string counts = "[2]") =>
        $"{{\"users\": {users}, \"num_samples\": {counts}, \"user_data\": {userData}}}";
    private static string LeafGood => Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels()}], \"y\": [3, 7]}}}}");

    private static Case LeafCase(string badTrain, string phrase, int? line = 1) =>
        new("femnist", d =>
        {
            Directory.CreateDirectory(Path.Combine(d, "train"));
            Directory.CreateDirectory(Path.Combine(d, "test"));
            Write(d, Path.Combine("train", "all_data_0_train_9.json"), badTrain);
            Write(d, Path.Combine("test", "all_data_0_test_9.json"), LeafGood);
            return d;
        }, Path.Combine("train", "all_data_0_train_9.json"), line, phrase, "  partition:\n    kind: natural\n");

    // The generic csv kind: header "x,colour,label".
    private static Case CsvCase(string text, int? line, string phrase, string yaml = "") =>
        new("csv", d => Write(d, "data.csv", text), "data.csv", line, phrase, yaml);
    private static string Csv(string badRow) => "x,colour,label\n1.5,red,0\n" + badRow + "\n2.5,blue,1\n0.5,red,1\n3.5,blue,0\n";

    private static string ManyRows(int rows, Func<int, string> row, string header) =>
        header + "\n" + string.Concat(Enumerable.Range(0, rows).Select(i => row(i) + "\n"));

    public static readonly IReadOnlyDictionary<string, Case> Cases = new Dictionary<string, Case>
    {
        // scikit-learn CSV (SklearnCsvReader)
        ["sklearn NaN cell"] = SkCase("1.0,NaN,3.0,1", "'NaN', not a finite number"),
        ["sklearn inf cell"] = SkCase("1.0,inf,3.0,1", "'inf', not a finite number"),
        ["sklearn -Infinity cell"] = SkCase("-Infinity,1.0,3.0,1", "not a finite number"),
        ["sklearn 1e40 overflows float32"] = SkCase("1.0,1e40,3.0,1", "beyond the float32 range"),
        ["sklearn empty cell"] = SkCase("1.0,,3.0,1", "is empty: a missing value"),
        ["sklearn null cell"] = SkCase("1.0,null,3.0,1", "'null', a missing value"),
        ["sklearn text cell"] = SkCase("1.0,abc,3.0,1", "'abc', not a number"),
        ["sklearn fractional label"] = SkCase("1.0,2.0,3.0,0.5", "a fractional number"),
        ["sklearn negative label"] = SkCase("1.0,2.0,3.0,-1", "class indices start at 0"),
        ["sklearn label beyond the header's classes"] = SkCase("1.0,2.0,3.0,5", "outside the 2 classes"),
        ["sklearn NaN label"] = SkCase("1.0,2.0,3.0,NaN", "not a class"),
        ["sklearn label 1e10"] = SkCase("1.0,2.0,3.0,1e10", "far beyond any class index"),
        ["sklearn text label"] = SkCase("1.0,2.0,3.0,malignant", "not an integer class"),
        ["sklearn row with too few values"] = SkCase("1.0,2.0,1", "expected 4 comma-separated values"),
        ["sklearn row with too many values"] = SkCase("1.0,2.0,3.0,4.0,1", "expected 4 comma-separated values"),
        ["sklearn semicolon-separated file"] = SkFile("1.5;2.5;3.5;0\n2.5;1.5;0.5;1\n", 1, "semicolon"),
        ["sklearn tab-separated file"] = SkFile("1.5\t2.5\t3.5\t0\n2.5\t1.5\t0.5\t1\n", 1, "tab-separated"),
        ["sklearn label-only file"] = SkFile("0\n1\n0\n1\n", 1, "labels alone"),
        ["sklearn empty file"] = SkFile("", null, "the file is empty"),
        ["sklearn header without rows"] = SkFile(SkHeader, null, "no data rows follow"),
        ["sklearn header declares more rows"] = SkFile(SkGood.Replace("4,3,", "9,3,"), null, "header declares 9 samples"),
        ["sklearn single class"] = SkFile("1.0,2.0,3.0,0\n2.0,3.0,4.0,0\n3.0,4.0,5.0,0\n", null, "same label '0'"),
        ["sklearn truncated gzip"] = new("sklearn-breast-cancer",
            d => WriteBytes(d, "bc.csv.gz", Truncated(HostileFiles.Gzip(ManyRows(400, i => $"{i}.5,{i % 7}.25,{i % 3},{i % 2}", "400,3,a,b")))),
            "bc.csv.gz", null, "truncated or corrupt"),
        ["sklearn corrupt gzip"] = new("sklearn-breast-cancer",
            d => WriteBytes(d, "bc.csv.gz", Flipped(HostileFiles.Gzip(SkGood))), "bc.csv.gz", null, "corrupt"),
        ["sklearn binary file"] = new("sklearn-breast-cancer",
            d => WriteBytes(d, "bc.csv", [0x89, 0x50, 0x4E, 0x47, 0x00, 0x00, 0x0D, 0x0A, 0x00, 0x01]), "bc.csv", 1, "binary file"),

        // scikit-learn digits
        ["digits truncated gzip"] = new("sklearn-digits",
            d => WriteBytes(d, "digits.csv.gz", Truncated(HostileFiles.Gzip(Digits(200, 64)))), "digits.csv.gz", null, "truncated or corrupt"),
        ["digits rows of the wrong width"] = new("sklearn-digits",
            d => WriteBytes(d, "digits.csv.gz", HostileFiles.Gzip(Digits(20, 10))), "digits.csv.gz", null, "must have 64 pixel values"),

        // UCI Adult
        ["adult NaN age"] = AdultCase(AdultWith(AdultGood.Replace("39,", "NaN,")), 2, "age is 'NaN', not a finite number"),
        ["adult 1e40 hours per week"] = AdultCase(AdultWith(AdultGood.Replace(" 40, United", " 1e40, United")), 2, "beyond the float32 range"),
        ["adult question mark in a numeric column"] = AdultCase(AdultWith(AdultGood.Replace(" 77516,", " ?,")), 2, "only in categorical columns"),
        ["adult row with a missing column"] = AdultCase(AdultWith("39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, White, Male, 2174, 0, 40, United-States, <=50K"), 2, "expected 15 comma-separated values"),
        ["adult semicolon-separated file"] = AdultCase(AdultGood.Replace(", ", ";") + "\n", 1, "semicolon"),
        ["adult unknown income label"] = AdultCase(AdultWith(AdultGood.Replace("<=50K", "50K+")), 2, "income label is '50K+'"),
        ["adult training file of one class"] = new("adult", d =>
        {
            Write(d, "adult.data", AdultGood + "\n" + AdultGood + "\n");
            Write(d, "adult.test", AdultTest);
            return d;
        }, "adult.data", null, "same label '<=50K'"),
        ["adult empty training file"] = AdultCase("", 0, "no data rows") with { Line = null },
        ["adult folder without adult.test"] = new("adult", d =>
        {
            Write(d, "adult.data", AdultWith(AdultGood));
            return d;
        }, "adult.test", null, "file not found"),

        // MNIST-style IDX
        ["idx label outside 0..9"] = IdxCase(d => WriteBytes(d, "train-labels-idx1-ubyte.gz", HostileFiles.Gzip(TestData.IdxLabels(0, 1, 12, 3))),
            "train-labels-idx1-ubyte.gz", "label 12 at index 2"),
        ["idx truncated image file"] = IdxCase(d => WriteBytes(d, "train-images-idx3-ubyte.gz", Truncated(HostileFiles.Gzip(TestData.IdxImages(4, 2, 2)))),
            "train-images-idx3-ubyte.gz", "truncated"),
        ["idx image and label files swapped"] = IdxCase(d =>
        {
            File.Move(Path.Combine(d, "train-images-idx3-ubyte.gz"), Path.Combine(d, "x.gz"));
            File.Move(Path.Combine(d, "train-labels-idx1-ubyte.gz"), Path.Combine(d, "train-images-idx3-ubyte.gz"));
            File.Move(Path.Combine(d, "x.gz"), Path.Combine(d, "train-labels-idx1-ubyte.gz"));
            return d;
        }, "train-images-idx3-ubyte.gz", "swapped"),
        ["idx image and label counts differ"] = IdxCase(d => WriteBytes(d, "train-labels-idx1-ubyte.gz", HostileFiles.Gzip(TestData.IdxLabels(0, 1, 2))),
            "train-labels-idx1-ubyte.gz", "do not belong together"),
        ["idx one class only"] = IdxCase(d => WriteBytes(d, "train-labels-idx1-ubyte.gz", HostileFiles.Gzip(TestData.IdxLabels(7, 7, 7, 7))),
            "train-labels-idx1-ubyte.gz", "same label 7"),
        ["idx empty label file"] = IdxCase(d => WriteBytes(d, "train-labels-idx1-ubyte.gz", []),
            "train-labels-idx1-ubyte.gz", "the 4-byte IDX magic"),
        ["idx missing test labels"] = IdxCase(d =>
        {
            File.Delete(Path.Combine(d, "t10k-labels-idx1-ubyte.gz"));
            return d;
        }, "", "t10k-labels-idx1-ubyte.gz (or t10k-labels-idx1-ubyte) not found"),

        // LEAF JSON (FEMNIST)
        ["leaf user whose x is a flat list"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": {Pixels()}, \"y\": [3]}}}}", counts: "[1]"), "user f0001: x must be a list of samples"),
        ["leaf x and y of different lengths"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels()}], \"y\": [3]}}}}"), "user f0001 has 2 x rows but 1 labels"),
        ["leaf user without labels"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels()}]}}}}"), "user f0001 has no 'y' list"),
        ["leaf listed user missing from user_data"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels()}], \"y\": [3, 7]}}}}", users: "[\"f0001\", \"f0002\"]", counts: "[2, 5]"),
            "user f0002 is listed in 'users' but has no entry", line: null),
        ["leaf num_samples disagrees with the data"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels()}], \"y\": [3, 7]}}}}", counts: "[3]"),
            "'num_samples' says 3", line: null),
        ["leaf fractional label"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels()}], \"y\": [3, 7.5]}}}}"), "is not an integer class index"),
        ["leaf label outside the 62 classes"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels()}], \"y\": [3, 62]}}}}"), "label 62 is outside 0..61"),
        ["leaf text among the pixels"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels(value: "\"dark\"")}], \"y\": [3, 7]}}}}"), "every value must be a number"),
        ["leaf pixel of 1e40"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, {Pixels(value: "1e40")}], \"y\": [3, 7]}}}}"), "beyond the float32 range"),
        ["leaf broken JSON"] = LeafCase(LeafGood.Replace("\"y\": [3, 7]", "\"y\": [3, 7}"), "invalid JSON"),
        ["leaf sample of the wrong length"] = LeafCase(Leaf($"{{\"f0001\": {{\"x\": [{Pixels()}, [0.1, 0.2, 0.3]], \"y\": [3, 7]}}}}"), "x has 3 values, expected 784"),
        ["leaf train file without a test partner"] = new("femnist", d =>
        {
            Directory.CreateDirectory(Path.Combine(d, "train"));
            Directory.CreateDirectory(Path.Combine(d, "test"));
            Write(d, Path.Combine("train", "all_data_0_train_9.json"), LeafGood);
            Write(d, Path.Combine("test", "all_data_1_test_9.json"), LeafGood);
            return d;
        }, Path.Combine("train", "all_data_0_train_9.json"), null, "no partner", "  partition:\n    kind: natural\n"),

        // the generic csv kind (CsvDatasetReader)
        ["csv NaN in a numeric column"] = CsvCase(Csv("NaN,red,1"), 3, "'NaN', not a finite number"),
        ["csv inf in a numeric column"] = CsvCase(Csv("inf,red,1"), 3, "'inf', not a finite number"),
        ["csv NA written by R"] = CsvCase(Csv("NA,red,1"), 3, "'NA', a missing value"),
        ["csv 1e40 overflows float32"] = CsvCase(Csv("1e40,red,1"), 3, "beyond the float32 range"),
        ["csv empty numeric cell"] = CsvCase(Csv(",red,1"), 3, "is empty: a missing value"),
        ["csv text in a numeric column"] = CsvCase(Csv("big,red,1"), 3, "but the column is numeric"),
        ["csv decimal comma"] = CsvCase(Csv("\"1,5\",red,1"), 3, "Decimal commas are not read"),
        ["csv column starting with an empty cell"] = CsvCase("x,colour,label\n,red,0\n2.5,blue,1\n1.5,red,1\n", 2, "is empty: a missing value"),
        ["csv semicolon-separated file"] = CsvCase("x;colour;label\n1.5;red;0\n2.5;blue;1\n", 1, "semicolon"),
        ["csv tab-separated file"] = CsvCase("x\tcolour\tlabel\n1.5\tred\t0\n2.5\tblue\t1\n", 1, "tab-separated"),
        ["csv header naming a column twice"] = CsvCase("x,x,label\n1,2,0\n3,4,1\n", 1, "names 'x' twice"),
        ["csv header with a blank name"] = CsvCase("x,,label\n1,2,0\n3,4,1\n", 1, "column 2 of the header has no name"),
        ["csv without the label column"] = CsvCase("x,colour,class\n1.5,red,0\n2.5,blue,1\n", 1, "label_column 'label' is not a column"),
        ["csv label column in other case"] = CsvCase("x,colour,Label\n1.5,red,0\n2.5,blue,1\n", 1, "did you mean 'Label'?"),
        ["csv without the owner column"] = CsvCase(Csv("0.5,red,1"), 1, "owner_column 'site' is not a column", "  owner_column: site\n"),
        ["csv label-only file"] = CsvCase("label\n0\n1\n0\n", 1, "a single column"),
        ["csv label and owner only"] = CsvCase("site,label\na,0\nb,1\n", 1, "no feature columns", "  owner_column: site\n"),
        ["csv ragged row"] = CsvCase(Csv("0.5,red"), 3, "expected 3 comma-separated values"),
        ["csv unclosed quote"] = CsvCase(Csv("0.5,\"red,1"), 3, "expected 3 comma-separated values"),
        ["csv fractional label"] = CsvCase(Csv("0.5,red,0.5"), 3, "a fractional number"),
        ["csv NaN label"] = CsvCase(Csv("0.5,red,NaN"), 3, "not a class"),
        ["csv text label after numeric labels"] = CsvCase(Csv("0.5,red,yes"), 3, "first label is a number"),
        ["csv empty label"] = CsvCase("x,colour,label\n1.5,red,no\n0.5,red,\n2.5,blue,yes\n", 3, "the label ('label') is empty"),
        ["csv empty owner"] = CsvCase("x,site,label\n1.5,a,0\n0.5,,1\n2.5,b,1\n", 3, "the owner ('site') is empty", "  owner_column: site\n"),
        ["csv single class"] = CsvCase("x,colour,label\n1.5,red,yes\n0.5,red,yes\n2.5,blue,yes\n", null, "same label 'yes'"),
        ["csv id column of too many categories"] = CsvCase(ManyRows(1_100, i => $"{i % 5}.5,id{i},{i % 2}", "x,customer,label"), 1_002, "more than 1000 distinct text values"),
        ["csv continuous label column"] = CsvCase(ManyRows(1_100, i => $"{i % 5}.5,red,{i}", "x,colour,label"), 1_002, "more than 1000 distinct values"),
        ["csv empty file"] = CsvCase("", null, "the file is empty"),
        ["csv header without rows"] = CsvCase("x,colour,label\n", null, "no data rows follow"),
        ["csv column empty in every row"] = CsvCase("x,note,label\n1.5,,0\n2.5,,1\n0.5,,1\n", null, "column 'note' is empty in all 3 rows"),
        ["csv too few rows for a test split"] = CsvCase("x,colour,label\n1.5,red,0\n2.5,blue,1\n0.5,red,0\n", null, "the test split is empty"),
        ["csv truncated gzip"] = new("csv",
            d => WriteBytes(d, "data.csv.gz", Truncated(HostileFiles.Gzip(ManyRows(2_000, i => $"{i}.5,c{i % 9},{i % 2}", "x,colour,label")))),
            "data.csv.gz", null, "truncated or corrupt"),
        ["csv binary file"] = new("csv", d => WriteBytes(d, "data.csv", Encoding.Latin1.GetBytes("PK\u0003\u0004\0\0\0,x,label\n")), "data.csv", 1, "binary file"),
    };
}
