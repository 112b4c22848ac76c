using System.Text;
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
        var context = new FileContext(path, bytes);
        List<string>? listed = null;
        List<int>? declaredCounts = null;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, context, "the file");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("user_data"u8))
                {
                    reader.Read();
                    Expect(ref reader, JsonTokenType.StartObject, context, "user_data", alreadyRead: true);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        string user = reader.GetString()!;
                        if (!users.TryGetValue(user, out var data)) users[user] = data = new UserData();
                        seen[user] = ReadUser(ref reader, context, user, featureCount, classCount, data);
                    }
                }
                else if (reader.ValueTextEquals("users"u8))
                {
                    reader.Read();
                    listed = ReadStrings(ref reader, context, "users");
                }
                else if (reader.ValueTextEquals("num_samples"u8))
                {
                    reader.Read();
                    declaredCounts = ReadCounts(ref reader, context);
                }
                else
                {
                    // hierarchies and other extras are not used.
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            throw new DatasetException($"{path}:{e.LineNumber + 1}: invalid JSON at byte {e.BytePositionInLine}: {e.Message}", e);
        }
        CheckDeclaredUsers(path, listed, declaredCounts, seen);
    }

    /// <summary>
    /// LEAF files list their users and sample counts next to user_data; a user listed but absent, or holding a
    /// different number of samples, means the file was cut or hand-edited, and training on the rest would be a lie.
    /// </summary>
    private static void CheckDeclaredUsers(string path, List<string>? listed, List<int>? counts, Dictionary<string, int> seen)
    {
        if (listed is null) return;
        if (counts is not null && counts.Count != listed.Count)
            throw new DatasetException($"{path}: 'users' lists {listed.Count} users but 'num_samples' has {counts.Count} counts; the file is damaged. Regenerate it with LEAF.");
        for (int i = 0; i < listed.Count; i++)
        {
            if (!seen.TryGetValue(listed[i], out int n))
                throw new DatasetException($"{path}: user {listed[i]} is listed in 'users' but has no entry in 'user_data'; the file is damaged. Regenerate it with LEAF.");
            if (counts is not null && counts[i] != n)
                throw new DatasetException($"{path}: user {listed[i]} has {n} samples in 'user_data' but 'num_samples' says {counts[i]}; the file is damaged. Regenerate it with LEAF.");
        }
        foreach (var user in seen.Keys)
            if (!listed.Contains(user))
                throw new DatasetException($"{path}: user {user} is in 'user_data' but not listed in 'users'; the file is damaged. Regenerate it with LEAF.");
    }

    /// <summary>Reads one user's {"x": [[...], ...], "y": [...]}; returns the sample count.</summary>
    private static int ReadUser(ref Utf8JsonReader reader, FileContext file, string user, int featureCount, int classCount, UserData data)
    {
        reader.Read();
        Expect(ref reader, JsonTokenType.StartObject, file, $"user {user}", alreadyRead: true);
        int? xCount = null, yCount = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("x"u8))
            {
                reader.Read();
                Expect(ref reader, JsonTokenType.StartArray, file, $"user {user}: x", alreadyRead: true);
                int count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.StartArray)
                        throw new DatasetException($"{file.Where(reader)}: user {user}: x must be a list of samples, each a list of {featureCount} numbers, " +
                                                   $"but x[{count}] is {Describe(reader.TokenType)} (a flat list?). Fix the file or regenerate it with LEAF.");
                    int n = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.Number)
                            throw new DatasetException($"{file.Where(reader)}: user {user}, sample {count}: x holds {Describe(reader.TokenType)}; every value must be a number.");
                        if (!reader.TryGetSingle(out float v) || !float.IsFinite(v))
                            throw new DatasetException($"{file.Where(reader)}: user {user}, sample {count}: value {n} is {Encoding.UTF8.GetString(reader.ValueSpan)}, beyond the float32 range; fix the file.");
                        data.X.Add(v);
                        n++;
                    }
                    if (n != featureCount)
                        throw new DatasetException($"{file.Where(reader)}: user {user}, sample {count}: x has {n} values, expected {featureCount}.");
                    count++;
                }
                xCount = count;
            }
            else if (reader.ValueTextEquals("y"u8))
            {
                reader.Read();
                Expect(ref reader, JsonTokenType.StartArray, file, $"user {user}: y", alreadyRead: true);
                int count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number)
                        throw new DatasetException($"{file.Where(reader)}: user {user}, sample {count}: the label is {Describe(reader.TokenType)}; labels are integer class indices 0..{classCount - 1}.");
                    if (!reader.TryGetInt32(out int y))
                        throw new DatasetException($"{file.Where(reader)}: user {user}, sample {count}: the label {Encoding.UTF8.GetString(reader.ValueSpan)} is not an integer class index; labels are 0..{classCount - 1}.");
                    if (y < 0 || y >= classCount)
                        throw new DatasetException($"{file.Where(reader)}: user {user}, sample {count}: label {y} is outside 0..{classCount - 1}.");
                    data.Y.Add(y);
                    count++;
                }
                yCount = count;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (xCount is null || yCount is null)
            throw new DatasetException($"{file.Where(reader)}: user {user} has no '{(xCount is null ? "x" : "y")}' list; every user needs both x (samples) and y (labels).");
        if (xCount != yCount)
            throw new DatasetException($"{file.Where(reader)}: user {user} has {xCount} x rows but {yCount} labels; they must pair up one to one.");
        return xCount.Value;
    }

    private static List<string> ReadStrings(ref Utf8JsonReader reader, FileContext file, string what)
    {
        Expect(ref reader, JsonTokenType.StartArray, file, what, alreadyRead: true);
        var list = new List<string>();
        while (reader.Read() && reader.TokenType == JsonTokenType.String) list.Add(reader.GetString()!);
        if (reader.TokenType != JsonTokenType.EndArray)
            throw new DatasetException($"{file.Where(reader)}: '{what}' must be a list of user names.");
        return list;
    }

    private static List<int> ReadCounts(ref Utf8JsonReader reader, FileContext file)
    {
        Expect(ref reader, JsonTokenType.StartArray, file, "num_samples", alreadyRead: true);
        var list = new List<int>();
        while (reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int n)) list.Add(n);
        if (reader.TokenType != JsonTokenType.EndArray)
            throw new DatasetException($"{file.Where(reader)}: 'num_samples' must be a list of integers.");
        return list;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, FileContext file, string what, bool alreadyRead = false)
    {
        if (!alreadyRead) reader.Read();
        if (reader.TokenType != type)
            throw new DatasetException($"{file.Where(reader)}: {what} is {Describe(reader.TokenType)}, expected {Describe(type)} (is this a LEAF file?).");
    }

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "a list",
        JsonTokenType.Number => "a number",
        JsonTokenType.String => "a string",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.EndArray => "the end of a list",
        JsonTokenType.EndObject => "the end of an object",
        _ => type.ToString(),
    };

    /// <summary>The file's path and bytes, to turn a reader position into "path:line" for messages.</summary>
    private sealed class FileContext(string path, byte[] bytes)
    {
        public string Where(in Utf8JsonReader reader)
        {
            long at = Math.Min(reader.TokenStartIndex, bytes.Length);
            int line = 1 + bytes.AsSpan(0, (int)at).Count((byte)'\n');
            return $"{path}:{line}";
        }
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
