using System.Text.Json;
using FedSim.Data;
using FedSim.Data.Kinds;
using FedSim.Scenarios.Configuration;
using FedSim.Scenarios.Reports;
using FedSim.Tests.Reports;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

/// <summary>Tiny Shakespeare as dataset kind shakespeare: next-character windows owned by speakers, split 90/10 per speaker.</summary>
public class ShakespeareTests
{
    private const string Kind = DatasetKinds.Shakespeare;

    private static DatasetSplit LoadShared(ulong seed = 1, int minWindows = 2) =>
        DatasetCatalog.Load(new DatasetSpec { Kind = Kind, Path = "tinyshakespeare", MinSamplesPerOwner = minWindows }, SharedDatasets.PathOf(), seed);

    /// <summary>A sample as the 81 characters it was cut from: its context, then its label.</summary>
    private static string Window(Dataset data, int row) =>
        string.Concat(data.Row(row).ToArray().Select(t => data.Text!.Vocabulary[(int)t])) + data.Text!.Vocabulary[data.Labels[row]];

    [Fact]
    public void The_vocabulary_is_newline_then_printable_ascii_and_fixed_before_loading()
    {
        // Prepare / Execute
        var vocabulary = ShakespeareReader.Shape.Vocabulary;
        var geometry = DatasetGeometry.Of(new DatasetSpec { Kind = Kind })!;

        // Assert
        Assert.Equal(96, vocabulary.Count);
        Assert.Equal("\n", vocabulary[0]);
        Assert.Equal(" ", vocabulary[1]);
        Assert.Equal("~", vocabulary[95]);
        Assert.All(Enumerable.Range(0, 96), id => Assert.Equal(id, ShakespeareReader.TokenOf(vocabulary[id][0])));
        Assert.Equal(-1, ShakespeareReader.TokenOf('\t'));
        Assert.Equal(new DatasetGeometry(80, 96, null, null, ShakespeareReader.Shape), geometry);
    }

    [SharedDataFact]
    public void The_real_file_keeps_232_speakers_and_leaves_out_77_with_their_24_windows()
    {
        // Prepare / Execute
        var split = LoadShared();

        // Assert: 309 speakers; those with fewer than 2 windows of 81 characters are counted, not loaded. The 112 speaker
        // lines without a speech add nothing (joining them as empty speeches would add 112 newlines and 2 windows).
        Assert.Equal(232, split.Train.GroupNames!.Length);
        Assert.Equal(new OwnersLeftOut(77, 24, 2), split.LeftOut);
        Assert.Equal(12_520, split.Train.Count + split.Test.Count);
        Assert.Equal(Path.GetFullPath(SharedDatasets.PathOf("tinyshakespeare", "input.txt")), Assert.Single(split.SourceFiles));
    }

    [SharedDataFact]
    public void Left_out_speakers_are_exactly_those_with_fewer_windows_than_the_minimum()
    {
        // Prepare
        var speakers = ShakespeareReader.ReadSpeakers(SharedDatasets.PathOf("tinyshakespeare", "input.txt"));

        // Execute
        var split = LoadShared(minWindows: 5);

        // Assert
        var kept = speakers.Where(s => s.Text.Length / 81 >= 5).Select(s => s.Name).ToArray();
        var dropped = speakers.Where(s => s.Text.Length / 81 < 5).ToList();
        Assert.Equal(309, speakers.Count);
        Assert.Equal(kept, split.Train.GroupNames!);
        Assert.Equal(new OwnersLeftOut(dropped.Count, dropped.Sum(s => s.Text.Length / 81), 5), split.LeftOut);
    }

    [SharedDataFact]
    public void A_window_is_80_characters_of_one_speaker_and_its_label_the_character_after_them()
    {
        // Prepare: First Citizen's first two speeches, joined by a newline.
        const string opening = "Before we proceed any further, hear me speak.\nYou are all resolved rather to die ";
        var split = LoadShared();
        var speakers = ShakespeareReader.ReadSpeakers(SharedDatasets.PathOf("tinyshakespeare", "input.txt")).ToDictionary(s => s.Name, s => s.Text);

        // Execute
        var windows = new[] { split.Train, split.Test }
            .SelectMany(d => Enumerable.Range(0, d.Count).Select(row => $"{d.GroupNames![d.Groups![row]]}|{Window(d, row)}")).Order(StringComparer.Ordinal).ToList();

        // Assert: the samples are exactly the kept speakers' texts cut every 81 characters, each with its own speaker.
        var expected = split.Train.GroupNames!.SelectMany(name => Enumerable.Range(0, speakers[name].Length / 81)
            .Select(k => $"{name}|{speakers[name].Substring(k * 81, 81)}")).Order(StringComparer.Ordinal);
        Assert.Equal(expected, windows);
        Assert.Contains($"First Citizen|{opening}", windows);
    }

    [SharedDataFact]
    public void Each_speaker_keeps_training_windows_and_about_a_tenth_goes_to_test()
    {
        // Prepare / Execute
        var split = LoadShared();

        // Assert
        int speakers = split.Train.GroupNames!.Length;
        var train = split.Train.Groups!.CountBy(g => g).ToDictionary();
        var test = split.Test.Groups!.CountBy(g => g).ToDictionary();
        Assert.Equal(speakers, train.Count);
        Assert.All(Enumerable.Range(0, speakers), g =>
        {
            int total = train[g] + test.GetValueOrDefault(g);
            int tenth = (int)Math.Round(total * 0.1, MidpointRounding.AwayFromZero);
            Assert.Equal(Math.Min(tenth, total - 1), test.GetValueOrDefault(g));
        });
        Assert.InRange(split.Test.Count / (double)(split.Train.Count + split.Test.Count), 0.09, 0.11);
        Assert.Same(split.Train.GroupNames, split.Test.GroupNames);
        Assert.Equal(ShakespeareReader.Shape, split.Test.Text);
    }

    [SharedDataFact]
    public void The_same_seed_gives_the_same_split_and_another_seed_another()
    {
        // Prepare
        DatasetCatalog.ClearCache();

        // Execute
        var a = LoadShared(seed: 7);
        DatasetCatalog.ClearCache();
        var b = LoadShared(seed: 7);
        var c = LoadShared(seed: 8);

        // Assert
        Assert.NotSame(a, b);
        Assert.Equal(a.Train.Features, b.Train.Features);
        Assert.Equal(a.Test.Labels, b.Test.Labels);
        Assert.NotEqual(a.Test.Features, c.Test.Features);
    }

    [SharedDataFact]
    public void Geometry_known_before_loading_equals_the_loaded_data()
    {
        // Prepare
        var geometry = DatasetGeometry.Of(new DatasetSpec { Kind = Kind })!;

        // Execute
        var split = LoadShared();

        // Assert
        Assert.Equal(geometry.Features, split.Train.FeatureCount);
        Assert.Equal(geometry.Classes, split.Train.ClassCount);
        Assert.Null(split.Train.Image);
        Assert.Equal(geometry.Text!.Vocabulary, split.Train.Text!.Vocabulary);
        Assert.Equal(geometry.Text.Context, split.Train.Text.Context);
        Assert.All(split.Train.Features, f => Assert.InRange(f, 0f, 95f));
    }

    [SharedDataFact]
    public void The_natural_partition_gives_each_device_one_speaker()
    {
        // Prepare
        var split = LoadShared();
        int speakers = split.Train.GroupNames!.Length;

        // Execute
        var partition = Partitioners.Partition(split.Train, new PartitionSpec { Kind = PartitionKinds.Natural }, speakers, seed: 3);

        // Assert
        Assert.All(partition, device => Assert.Single(device.Select(row => split.Train.Groups![row]).Distinct()));
        Assert.Equal(speakers, partition.Select(d => split.Train.Groups![d[0]]).Distinct().Count());
    }

    [SharedDataFact]
    public void Data_quality_raises_no_class_balance_alarm_on_next_character_labels()
    {
        // Prepare
        var split = LoadShared();
        var partition = Partitioners.Partition(split.Train, new PartitionSpec(), 20, seed: 3);

        // Execute
        var quality = DataQuality.Compute(split, partition);

        // Assert: spaces outnumber 'Z' and most of the 96 tokens never follow a context, as in any English text.
        Assert.True(quality.LabelsAreTokens);
        Assert.True(quality.ImbalanceRatio > 10);
        Assert.True(quality.AbsentClasses > 0);
        Assert.DoesNotContain(quality.Warnings(), w => w.Contains("class", StringComparison.Ordinal) || w.Contains("different label", StringComparison.Ordinal));
        Assert.Contains("of 96 tokens occur as labels", quality.Describe());
    }

    [Fact]
    public void A_character_outside_the_vocabulary_is_reported_with_its_line_column_and_code_point()
    {
        // Prepare
        string path = Path.Combine(TestData.TempDir(), "input.txt");
        File.WriteAllText(path, "ROMEO:\nBut soft, what light\n\nJULIET:\nAy me, caf\u00e9!\n");

        // Execute
        var e = Assert.Throws<DatasetException>(() => ShakespeareReader.Load(path, 1, 1));

        // Assert
        Assert.StartsWith($"{path}:5:11: character U+00E9", e.Message);
        Assert.Contains("'\\n' plus the printable ASCII characters 32..126", e.Message);
    }

    [Fact]
    public void A_file_with_windows_line_endings_is_told_to_convert_them()
    {
        // Prepare
        string path = Path.Combine(TestData.TempDir(), "input.txt");
        File.WriteAllText(path, "ROMEO:\r\nBut soft\r\n");

        // Execute
        var e = Assert.Throws<DatasetException>(() => ShakespeareReader.Load(path, 1, 1));

        // Assert
        Assert.StartsWith($"{path}:1:7: character U+000D (a carriage return", e.Message);
    }

    [Theory]
    [InlineData("It was the best of times, it was the worst of times.\n", 1, "expected a speaker line")]
    [InlineData("\n\nCall me Ishmael.\n", 3, "expected a speaker line")]
    [InlineData("\n\n\n", 1, "no speaker blocks")]
    public void A_file_without_speaker_blocks_is_reported_with_its_line(string content, int line, string phrase)
    {
        // Prepare
        string path = Path.Combine(TestData.TempDir(), "input.txt");
        File.WriteAllText(path, content);

        // Execute
        var e = Assert.Throws<DatasetException>(() => ShakespeareReader.Load(path, 1, 1));

        // Assert
        Assert.StartsWith($"{path}:{line}: {phrase}", e.Message);
    }

    [Fact]
    public void Speeches_join_by_newline_and_blank_line_runs_separate_them()
    {
        // Prepare
        string path = Path.Combine(TestData.TempDir(), "input.txt");
        File.WriteAllText(path, "B:\none\ntwo\n\n\nA:\nthree\n\nB:\nfour\n");

        // Execute
        var speakers = ShakespeareReader.ReadSpeakers(path);

        // Assert
        Assert.Equal([("A", "three"), ("B", "one\ntwo\nfour")], speakers);
    }

    [Fact]
    public void Too_short_speakers_are_left_out_and_counted_in_a_small_file()
    {
        // Prepare: A has 3 windows of 81 characters, B one and a tail, C none.
        string path = Path.Combine(TestData.TempDir(), "input.txt");
        File.WriteAllText(path, $"A:\n{new string('a', 250)}\n\nB:\n{new string('b', 100)}\n\nC:\nc\n");

        // Execute
        var split = ShakespeareReader.Load(path, 2, 1);

        // Assert
        Assert.Equal(["A"], split.Train.GroupNames!);
        Assert.Equal(new OwnersLeftOut(2, 1, 2), split.LeftOut);
        Assert.Equal(3, split.Train.Count + split.Test.Count);
        Assert.All(split.Train.Labels, y => Assert.Equal(ShakespeareReader.TokenOf('a'), y));
    }

    [Fact]
    public void Summary_json_lists_the_vocabulary_the_context_and_the_speakers_left_out()
    {
        // Prepare
        var input = ReportFixtures.Input() with
        {
            Dataset = new DatasetInfo(Kind, 11_000, 1_200, 96, 80, "natural", "232 devices", ShakespeareReader.Shape, new OwnersLeftOut(77, 24, 2)),
        };

        // Execute
        string json = SummaryJson.Serialize(RunSummary.Build(input, ReportFixtures.FourRounds()));

        // Assert
        using var doc = JsonDocument.Parse(json);
        var dataset = doc.RootElement.GetProperty("dataset");
        var vocabulary = dataset.GetProperty("text").GetProperty("vocabulary").EnumerateArray().Select(v => v.GetString()!).ToList();
        Assert.Equal(ShakespeareReader.Shape.Vocabulary, vocabulary);
        Assert.Equal(80, dataset.GetProperty("text").GetProperty("context").GetInt32());
        Assert.Equal(77, dataset.GetProperty("left_out").GetProperty("owners").GetInt32());
        Assert.Equal(24, dataset.GetProperty("left_out").GetProperty("samples").GetInt64());
    }

    [SharedDataFact]
    public void A_scenario_training_an_lstm_on_shakespeare_validates_and_is_written_without_test_fraction()
    {
        // Prepare
        const string yaml = """
            name: shakespeare
            devices: 100
            dataset:
              kind: shakespeare
              path: tinyshakespeare
              min_samples_per_owner: 3
              partition:
                kind: natural
            model:
              kind: lstm
            """;

        // Execute
        var result = ScenarioLoader.Parse(yaml, "shakespeare.yaml", SharedDatasets.PathOf());

        // Assert
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        string written = ScenarioWriter.ToYaml(result.Spec!);
        Assert.Contains("  min_samples_per_owner: 3\n", written);
        Assert.DoesNotContain("\n  test_fraction:", written);
    }

    [Fact]
    public void Data_fetch_knows_the_char_rnn_file_and_the_kind_finds_it_in_its_folder()
    {
        // Prepare
        string dir = TestData.TempDir();
        File.WriteAllText(Path.Combine(dir, "input.txt"), "A:\na\n");

        // Execute
        var known = DatasetFetcher.Find(Kind);
        var kind = Assert.IsType<ShakespeareDataset>(DatasetKinds.Of(Kind));

        // Assert
        Assert.Equal("input.txt", Assert.Single(known.Files).FileName);
        Assert.Equal(Path.Combine(dir, "input.txt"), kind.FindIn(dir));
        Assert.Equal("tinyshakespeare", kind.Folder);
        Assert.Equal("its speakers", kind.Owners);
    }
}
