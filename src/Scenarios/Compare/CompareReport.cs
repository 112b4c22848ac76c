using System.Net;
using System.Text;

namespace FedSim.Scenarios.Compare;

/// <summary>
/// report.html: the comparison on one page that opens offline: the table of compare.csv and both figures
/// (and accuracy against ε for DP runs) embedded as data URIs (no external file, script or font is referenced).
/// </summary>
public static class CompareReport
{
    public const string FileName = "report.html";

    public static string Build(string title, string csv, byte[] accuracyPng, byte[] finalPng, IEnumerable<string> notes, byte[]? privacyPng = null)
    {
        var lines = csv.TrimEnd('\n').Split('\n');
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n");
        sb.Append("<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}")
          .Append("th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}img{max-width:100%}</style>\n");
        sb.Append("</head><body>\n<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n<ul>\n");
        foreach (var note in notes) sb.Append("<li>").Append(WebUtility.HtmlEncode(note)).Append("</li>\n");
        sb.Append("</ul>\n<table>\n");
        for (int i = 0; i < lines.Length; i++)
        {
            string tag = i == 0 ? "th" : "td";
            sb.Append("<tr>");
            foreach (var cell in SplitCsv(lines[i])) sb.Append('<').Append(tag).Append('>').Append(WebUtility.HtmlEncode(cell)).Append("</").Append(tag).Append('>');
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n<h2>Accuracy per round</h2>\n<img alt=\"accuracy per round\" src=\"data:image/png;base64,")
          .Append(Convert.ToBase64String(accuracyPng)).Append("\">\n");
        sb.Append("<h2>Final accuracy</h2>\n<img alt=\"final accuracy\" src=\"data:image/png;base64,")
          .Append(Convert.ToBase64String(finalPng)).Append("\">\n");
        if (privacyPng is not null)
            sb.Append("<h2>Accuracy against ε</h2>\n<img alt=\"final accuracy against epsilon\" src=\"data:image/png;base64,")
              .Append(Convert.ToBase64String(privacyPng)).Append("\">\n");
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>Splits one RFC 4180 line (quoted cells may hold commas and doubled quotes).</summary>
    internal static IEnumerable<string> SplitCsv(string line)
    {
        var cell = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { yield return cell.ToString(); cell.Clear(); }
            else cell.Append(c);
        }
        yield return cell.ToString();
    }
}
