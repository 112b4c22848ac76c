using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FedSim.Data;
using FedSim.Tests.Support;

namespace FedSim.Tests.Data;

public class DatasetFetcherTests
{
    [SharedDataFact]
    public async Task Fetch_from_a_loopback_mirror_downloads_and_verifies_all_mnist_files()
    {
        // Prepare
        using var server = new LoopbackFileServer(SharedDatasets.PathOf());
        string target = TestData.TempDir();
        var reports = new List<FetchProgress>();
        var fetcher = new DatasetFetcher();

        // Execute
        var result = await fetcher.FetchAsync("mnist", target, server.BaseUri, new SyncProgress(reports.Add));
        var again = await fetcher.FetchAsync("mnist", target, server.BaseUri);

        // Assert
        Assert.Equal(4, result.Files.Count);
        Assert.All(result.Files, f => Assert.True(f.Downloaded));
        foreach (var f in DatasetFetcher.Find("mnist").Files)
        {
            string path = Path.Combine(target, f.FileName);
            Assert.Equal(f.Sha256[0], Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
        }
        Assert.All(again.Files, f => Assert.False(f.Downloaded));  // verified files are not downloaded twice
        Assert.Equal(4, server.Requests);
        Assert.Equal(4, reports.Count(r => r.State == FetchState.Verified));
        Assert.Empty(Directory.GetFiles(target, "*.part-*"));
        Assert.Equal(60_000, IdxReader.LoadFolder(target, "mnist").Train.Count);
    }

    [SharedDataFact]
    public async Task Corrupted_download_fails_with_a_checksum_error_and_leaves_no_file()
    {
        // Prepare
        using var server = new LoopbackFileServer(SharedDatasets.PathOf(), corrupt: "t10k-labels-idx1-ubyte.gz");
        string target = TestData.TempDir();

        // Execute
        var e = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher().FetchAsync("mnist", target, server.BaseUri));

        // Assert
        Assert.Contains("checksum mismatch", e.Message);
        Assert.Contains("t10k-labels-idx1-ubyte.gz", e.Message);
        Assert.False(File.Exists(Path.Combine(target, "t10k-labels-idx1-ubyte.gz")));
        Assert.Empty(Directory.GetFiles(target, "*.part-*"));
    }

    [Fact]
    public void Re_compressed_file_is_accepted_by_its_content_hash()
    {
        // Prepare: the same bytes gzipped differently have another file hash but the same content hash.
        string dir = TestData.TempDir();
        var content = TestData.IdxLabels(1, 2, 3);
        string path = Path.Combine(dir, "labels.gz");
        File.WriteAllBytes(path, TestData.Gzip(content));
        var known = new KnownFile("labels.gz", ["00"], Convert.ToHexStringLower(SHA256.HashData(content)));
        var wrong = known with { ContentSha256 = new string('0', 64) };

        // Execute
        var ok = DatasetFetcher.VerifyAsync(path, known).GetAwaiter().GetResult();
        var bad = DatasetFetcher.VerifyAsync(path, wrong).GetAwaiter().GetResult();

        // Assert
        Assert.Null(ok);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), bad);
    }

    [Fact]
    public async Task Unknown_dataset_name_lists_the_known_ones()
    {
        // Prepare / Execute
        var e = await Assert.ThrowsAsync<DatasetException>(() => new DatasetFetcher().FetchAsync("cifar10", TestData.TempDir()));

        // Assert
        Assert.Contains("cifar10", e.Message);
        Assert.Contains("mnist", e.Message);
        Assert.Contains("fashion-mnist", e.Message);
    }

    private sealed class SyncProgress(Action<FetchProgress> report) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => report(value);
    }

    /// <summary>Serves a folder over HTTP on 127.0.0.1 (optionally with one file corrupted) for fetcher tests.</summary>
    private sealed class LoopbackFileServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly string _root;
        private readonly string? _corrupt;
        private readonly Task _loop;
        private int _requests;

        public LoopbackFileServer(string root, string? corrupt = null)
        {
            _root = root;
            _corrupt = corrupt;
            int port = FreePort();
            BaseUri = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(BaseUri.AbsoluteUri);
            _listener.Start();
            _loop = Task.Run(ServeAsync);
        }

        public Uri BaseUri { get; }
        public int Requests => Volatile.Read(ref _requests);

        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                Interlocked.Increment(ref _requests);
                string rel = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath.TrimStart('/'));
                string path = Path.GetFullPath(Path.Combine(_root, rel));
                if (!path.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(path))
                {
                    ctx.Response.StatusCode = 404;
                    ctx.Response.Close();
                    continue;
                }
                var bytes = await File.ReadAllBytesAsync(path);
                if (Path.GetFileName(path) == _corrupt) bytes[bytes.Length / 2] ^= 0xFF;
                ctx.Response.ContentLength64 = bytes.Length;
                await ctx.Response.OutputStream.WriteAsync(bytes);
                ctx.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        }
    }
}
