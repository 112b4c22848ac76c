using System.Text.Json;

namespace FedSim.Data;

/// <summary>
/// Reads LEAF JSON (Caldas et al. 2018), e.g. FEMNIST: a folder with <c>train/</c> and <c>test/</c>, each holding
/// files (<c>*.json.gz</c> or <c>*.json</c>) of the form
/// <c>{"users": [...], "num_samples": [...], "user_data": {user: {"x": [[...784 floats...], ...], "y": [...]}}}</c>.
/// Train and test files pair up by name (<c>..._train_...</c> / <c>..._test_...</c>) and hold the same users.
/// Every sample's writer becomes its group, with writers ordered by name so group ids are stable.
/// </summary>
public static class LeafJsonReader
{
    public const int FemnistClasses = 62;
    public static readonly ImageShape FemnistImage = new(1, 28, 28);

    /// <summary>Loads a LEAF folder (with train/ and test/ subfolders).</summary>
    public static DatasetSplit LoadFolder(string folder, string name = "femnist", int featureCount = 784,
        int classCount = FemnistClasses, ImageShape? image = null)
    {
        image ??= featureCount == FemnistImage.Size ? FemnistImage : null;
        string trainDir = Path.Combine(folder, "train"), testDir = Path.Combine(folder, "test");
        if (!Directory.Exists(trainDir) || !Directory.Exists(testDir))
            throw new DatasetException($"{folder}: a LEAF dataset folder must contain train/ and test/ subfolders of *.json.gz files.");
        var trainFiles = ListJson(trainDir);
        var testFiles = ListJson(testDir);
        CheckPairing(trainDir, trainFiles, testDir, testFiles);

        var train = new Dictionary<string, UserData>(StringComparer.Ordinal);
        var test = new Dictionary<string, UserData>(StringComparer.Ordinal);
        foreach (var f in trainFiles) ReadFile(f, featureCount, classCount, train);
        foreach (var f in testFiles) ReadFile(f, featureCount, classCount, test);

        var missing = train.Keys.Except(test.Keys).Concat(test.Keys.Except(train.Keys)).Take(5).ToList();
        if (missing.Count > 0)
            throw new DatasetException($"{folder}: train/ and test/ must hold the same users; these appear in only one of them: {string.Join(", ", missing)}.");

        var writers = train.Keys.Order(StringComparer.Ordinal).ToArray();
        return new DatasetSplit(
            Assemble(name + "-train", writers, train, featureCount, classCount, image),
            Assemble(name + "-test", writers, test, featureCount, classCount, image));
    }

    private sealed class UserData
    {
        public readonly List<float> X = new();
        public readonly List<int> Y = new();
    }

    private static string[] ListJson(string dir)
    {
        var files = Directory.GetFiles(dir).Where(f => f.EndsWith(".json.gz", StringComparison.OrdinalIgnoreCase) ||
                                                       f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new DatasetException($"{dir}: no *.json.gz or *.json files.");
        return files;
    }

    private static void CheckPairing(string trainDir, string[] trainFiles, string testDir, string[] testFiles)
    {
        // LEAF names the halves of one split "..._train_9.json" and "..._test_9.json".
        static string Key(string file, string part) => Path.GetFileName(file).Replace("_" + part + "_", "_*_", StringComparison.Ordinal);
        var trainKeys = trainFiles.Select(f => Key(f, "train")).ToHashSet();
        var testKeys = testFiles.Select(f => Key(f, "test")).ToHashSet();
        var unpaired = trainKeys.Except(testKeys).Select(k => Path.Combine(trainDir, k.Replace("_*_", "_train_")))
            .Concat(testKeys.Except(trainKeys).Select(k => Path.Combine(testDir, k.Replace("_*_", "_test_")))).Take(5).ToList();
        if (unpaired.Count > 0)
            throw new DatasetException($"LEAF train and test files must pair up by name; no partner for: {string.Join(", ", unpaired)}.");
    }

    private static void ReadFile(string path, int featureCount, int classCount, Dictionary<string, UserData> users)
    {
        var bytes = DataFiles.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = true });
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, path);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("user_data"u8))
                {
                    reader.Read();
                    Expect(ref reader, JsonTokenType.StartObject, path, alreadyRead: true);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        string user = reader.GetString()!;
                        if (!users.TryGetValue(user, out var data)) users[user] = data = new UserData();
                        ReadUser(ref reader, path, user, featureCount, classCount, data);
                    }
                }
                else
                {
                    // users / num_samples / hierarchies are redundant with user_data; skip them.
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            throw new DatasetException($"{path}: invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine}: {e.Message}", e);
        }
    }

    private static void ReadUser(ref Utf8JsonReader reader, string path, string user, int featureCount, int classCount, UserData data)
    {
        reader.Read();
        Expect(ref reader, JsonTokenType.StartObject, path, alreadyRead: true);
        int xCount = 0, yCount = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("x"u8))
            {
                reader.Read();
                Expect(ref reader, JsonTokenType.StartArray, path, alreadyRead: true);
                while (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
                {
                    int n = 0;
                    while (reader.Read() && reader.TokenType == JsonTokenType.Number)
                    {
                        data.X.Add(reader.GetSingle());
                        n++;
                    }
                    if (n != featureCount)
                        throw new DatasetException($"{path}: user {user}, sample {xCount}: x has {n} values, expected {featureCount}.");
                    xCount++;
                }
            }
            else if (reader.ValueTextEquals("y"u8))
            {
                reader.Read();
                Expect(ref reader, JsonTokenType.StartArray, path, alreadyRead: true);
                while (reader.Read() && reader.TokenType == JsonTokenType.Number)
                {
                    int y = reader.TryGetInt32(out var yi) ? yi : (int)reader.GetDouble();
                    if (y < 0 || y >= classCount)
                        throw new DatasetException($"{path}: user {user}, sample {yCount}: label {y} is outside 0..{classCount - 1}.");
                    data.Y.Add(y);
                    yCount++;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (xCount != yCount)
            throw new DatasetException($"{path}: user {user} has {xCount} x rows but {yCount} labels.");
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string path, bool alreadyRead = false)
    {
        if (!alreadyRead) reader.Read();
        if (reader.TokenType != type)
            throw new DatasetException($"{path}: unexpected JSON {reader.TokenType} at byte {reader.TokenStartIndex}, expected {type} (is this a LEAF file?).");
    }

    private static Dataset Assemble(string name, string[] writers, Dictionary<string, UserData> users, int featureCount,
        int classCount, ImageShape? image)
    {
        int total = writers.Sum(w => users[w].Y.Count);
        var features = new float[(long)total * featureCount];
        var labels = new int[total];
        var groups = new int[total];
        int at = 0;
        for (int g = 0; g < writers.Length; g++)
        {
            var u = users[writers[g]];
            u.X.CopyTo(features, at * featureCount);
            u.Y.CopyTo(labels, at);
            Array.Fill(groups, g, at, u.Y.Count);
            at += u.Y.Count;
        }
        return new Dataset(name, features, labels, featureCount, classCount, image, groups, writers);
    }
}
