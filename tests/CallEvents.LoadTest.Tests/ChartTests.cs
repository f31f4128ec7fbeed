using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using CallEvents.LoadTest.Metrics;
using CallEvents.LoadTest.Reporting;

namespace CallEvents.LoadTest.Tests;

/// <summary>The chart is a valid PNG: signature, IHDR, image data that inflates to the declared size, CRCs, IEND.</summary>
public sealed class ChartTests
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void The_crc_matches_the_standard_check_value()
    {
        // The CRC-32 check value from the PNG specification's reference (and ISO 3309).
        Assert.Equal(0xCBF43926u, PngEncoder.Crc32("123456789"u8));
    }

    [Fact]
    public void A_rendered_chart_is_a_valid_png()
    {
        var series = Enumerable.Range(0, 30).Select(s => new SecondSample(s, 1000 + (s * 50), s == 12 ? 7 : 0, 2.5, 10 + s, 40)).ToList();
        var png = ChartRenderer.Render("grain c=64: closed loop", series, [(12.3, "kill")]);

        var chunks = ReadChunks(png);

        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type).ToArray());
        var header = chunks[0].Data;
        Assert.Equal(13, header.Length);
        var width = BinaryPrimitives.ReadInt32BigEndian(header);
        var height = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        Assert.Equal((1100, 720), (width, height));
        Assert.Equal(new byte[] { 8, 6, 0, 0, 0 }, header[8..]);
        Assert.Empty(chunks[2].Data);

        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        var pixels = inflated.ToArray();
        var stride = 1 + (width * 4);
        Assert.Equal(height * stride, pixels.Length);
        Assert.All(Enumerable.Range(0, height), row => Assert.Equal(0, pixels[row * stride]));

        // Not blank: the lines and labels put non-white pixels on the canvas.
        var coloured = Enumerable.Range(0, height * width).Count(i => pixels[(i / width * stride) + 1 + (i % width * 4)] != 0xFF);
        Assert.True(coloured > 5000, $"{coloured} non-white pixels");
    }

    [Fact]
    public async Task The_report_writer_writes_a_png_chart_and_both_reports()
    {
        var directory = Path.Combine(Path.GetTempPath(), "callevents-chart-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var stats = new RunStats();
            stats.Start(0);
            stats.Acknowledge(15_000, duplicate: false);
            var run = RunReport.From("t", "grain API", "closed loop", "memory", 2, stats, TimeSpan.FromSeconds(1), verdict: null, faults: []);
            var report = new LoadTestReport { Mode = "grain", Date = DateTimeOffset.UtcNow, Machine = MachineInfo.Current(), CommandLine = "test", Workload = "test", Runs = [run] };

            await ReportWriter.WriteAsync(report, directory);

            var png = await File.ReadAllBytesAsync(Path.Combine(directory, "chart.png"));
            Assert.Equal(Signature, png[..8]);
            Assert.Equal("IEND", ReadChunks(png)[^1].Type);
            Assert.True(File.Exists(Path.Combine(directory, "report.json")));
            Assert.Contains("| t |", await File.ReadAllTextAsync(Path.Combine(directory, "report.md")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Splits a PNG into chunks, checking the signature and every chunk's CRC with a bitwise CRC-32.</summary>
    private static List<(string Type, byte[] Data)> ReadChunks(byte[] png)
    {
        Assert.Equal(Signature, png[..8]);
        var chunks = new List<(string, byte[])>();
        var offset = 8;
        while (offset < png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length).ToArray();
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            Assert.Equal(BitwiseCrc32(png.AsSpan(offset + 4, 4 + length)), crc);
            chunks.Add((type, data));
            offset += 12 + length;
        }

        Assert.Equal(png.Length, offset);
        return chunks;
    }

    private static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
