using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FedSim.Scenarios.Reports;

/// <summary>A table cell: its markup, and for a number the value it sorts by (sorting by the text would put "9" after "10").</summary>
public sealed record HtmlCell(string Html, double? SortValue = null)
{
    public static readonly HtmlCell Empty = new("");

    public static HtmlCell Text(string text) => new(HtmlPage.Encode(text));

    /// <summary>A number shown as <paramref name="text"/> (rounded, with its unit) and sorted by <paramref name="value"/>.</summary>
    public static HtmlCell Number(string text, double? value) => new(HtmlPage.Encode(text), value is { } v && double.IsFinite(v) ? v : null);

    /// <summary>A link to a relative path of the report's folder.</summary>
    public static HtmlCell Link(string text, string href) => new(HtmlPage.Anchor(text, href));

    public static HtmlCell Links(IEnumerable<(string Text, string Href)> links)
        => new(string.Join(" · ", links.Select(l => HtmlPage.Anchor(l.Text, l.Href))));
}

/// <summary>A column: its header, whether it holds numbers (right-aligned, sorted by value), and what it means (a tooltip).</summary>
public sealed record HtmlColumn(string Header, bool Numeric = false, string? Description = null);

/// <summary>Markup shown beneath a row when its button (labelled <see cref="Label"/>) is pressed.</summary>
public sealed record HtmlDetails(string Label, string Html);

public sealed record HtmlRow(IReadOnlyList<HtmlCell> Cells, HtmlDetails? Details = null);

/// <summary>
/// A table; a sortable one sorts by any column when its header is clicked. Rows with <see cref="HtmlRow.Details"/> get
/// a leading column (<see cref="DetailsHeader"/>) with the button that shows them; a row and its details sort together.
/// </summary>
public sealed record HtmlTable(IReadOnlyList<HtmlColumn> Columns, IReadOnlyList<HtmlRow> Rows)
{
    public bool Sortable { get; init; } = true;
    public string DetailsHeader { get; init; } = "";
}

/// <summary>
/// The HTML reports' one page shell and building blocks (headings, notes, tables, key/value lists, JSON sections,
/// figures), shared by <c>fedsim run</c>, <c>fedsim attack</c> and <c>fedsim compare</c>. A page is one
/// self-contained file that opens offline: styles and the small sorting script are inline, figures are data URIs,
/// and nothing outside the file is fetched (links point at files beside it). No date or host goes in, so a page
/// depends only on the results it shows.
/// </summary>
public sealed class HtmlPage(string title)
{
    private readonly StringBuilder _body = new();

    public HtmlPage Heading(string text, string? subtitle = null)
    {
        _body.Append("<h2>").Append(Encode(text)).Append("</h2>\n");
        if (subtitle is not null) _body.Append("<p class=\"sub\">").Append(Encode(subtitle)).Append("</p>\n");
        return this;
    }

    public HtmlPage Paragraph(string text, string cssClass = "")
    {
        _body.Append(cssClass.Length == 0 ? "<p>" : $"<p class=\"{cssClass}\">").Append(Encode(text)).Append("</p>\n");
        return this;
    }

    public HtmlPage Notes(IEnumerable<string> notes)
    {
        var list = notes.ToList();
        if (list.Count == 0) return this;
        _body.Append("<ul class=\"notes\">\n");
        foreach (string note in list) _body.Append("<li>").Append(Encode(note)).Append("</li>\n");
        _body.Append("</ul>\n");
        return this;
    }

    /// <summary>A two-column list of facts ("final accuracy | 84.9 % (round 30)").</summary>
    public HtmlPage KeyValues(IEnumerable<(string Key, HtmlCell Value)> items)
    {
        _body.Append(KeyValueTable(items.Select(i => (i.Key, i.Value.Html))));
        return this;
    }

    public HtmlPage Table(HtmlTable table)
    {
        _body.Append(TableHtml(table));
        return this;
    }

    /// <summary>A JSON object of any shape as nested key/value tables (for sections whose fields this page does not know).</summary>
    public HtmlPage Json(JsonElement element)
    {
        _body.Append(JsonHtml(element));
        return this;
    }

    /// <summary>A PNG embedded as a data URI (the page needs no file beside it to show it).</summary>
    public HtmlPage Figure(byte[] png, string alt)
    {
        _body.Append("<figure><img alt=\"").Append(Encode(alt)).Append("\" src=\"data:image/png;base64,")
             .Append(Convert.ToBase64String(png)).Append("\"></figure>\n");
        return this;
    }

    /// <summary>Links to files beside the page, in one line.</summary>
    public HtmlPage Links(IEnumerable<(string Text, string Href)> links)
    {
        _body.Append("<p class=\"files\">").Append(string.Join(" · ", links.Select(l => Anchor(l.Text, l.Href)))).Append("</p>\n");
        return this;
    }

    public override string ToString()
    {
        var page = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        page.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        page.Append("<title>").Append(Encode(title)).Append("</title>\n<style>").Append(Styles).Append("</style>\n</head><body>\n");
        page.Append("<h1>").Append(Encode(title)).Append("</h1>\n").Append(_body);
        page.Append("<script>").Append(Script).Append("</script>\n</body></html>\n");
        return page.ToString();
    }

    /// <summary>Escapes the characters HTML gives a meaning to; everything else stays as it is (the page is UTF-8: "±", "ε").</summary>
    public static string Encode(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
            sb.Append(c switch { '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&quot;", '\'' => "&#39;", _ => c.ToString() });
        return sb.ToString();
    }

    /// <summary>A relative link; each path segment is escaped, so a folder named "c01-{kind: x}" still resolves.</summary>
    public static string Anchor(string text, string href)
    {
        string escaped = string.Join('/', href.Split('/').Select(Uri.EscapeDataString));
        return $"<a href=\"{Encode(escaped)}\">{Encode(text)}</a>";
    }

    private static string KeyValueTable(IEnumerable<(string Key, string Html)> items)
    {
        var sb = new StringBuilder("<table class=\"kv\">\n");
        foreach (var (key, html) in items) sb.Append("<tr><th>").Append(Encode(key)).Append("</th><td>").Append(html).Append("</td></tr>\n");
        return sb.Append("</table>\n").ToString();
    }

    /// <summary>A table's markup, for a table inside another (a row's details).</summary>
    public static string TableHtml(HtmlTable table)
    {
        bool details = table.Rows.Any(r => r.Details is not null);
        var sb = new StringBuilder(table.Sortable ? "<table class=\"data sortable\">\n<thead><tr>" : "<table class=\"data\">\n<thead><tr>");
        if (details) sb.Append("<th>").Append(Encode(table.DetailsHeader)).Append("</th>");
        foreach (var column in table.Columns)
        {
            sb.Append(column.Numeric ? "<th class=\"num\" data-type=\"number\"" : "<th");
            if (column.Description is not null) sb.Append(" title=\"").Append(Encode(column.Description)).Append('"');
            sb.Append('>');
            sb.Append(table.Sortable ? $"<button type=\"button\" class=\"sort\">{Encode(column.Header)}</button>" : Encode(column.Header));
            sb.Append("</th>");
        }
        sb.Append("</tr></thead>\n");
        // One tbody per row: sorting moves a row together with its details row.
        foreach (var row in table.Rows)
        {
            sb.Append("<tbody><tr>");
            if (details)
                sb.Append("<td>").Append(row.Details is { } d ? $"<button type=\"button\" class=\"toggle\" aria-expanded=\"false\">{Encode(d.Label)}</button>" : "").Append("</td>");
            for (int c = 0; c < table.Columns.Count; c++)
            {
                var cell = c < row.Cells.Count ? row.Cells[c] : HtmlCell.Empty;
                sb.Append(table.Columns[c].Numeric ? "<td class=\"num\"" : "<td");
                if (cell.SortValue is { } v) sb.Append(" data-sort=\"").Append(v.ToString("R", CultureInfo.InvariantCulture)).Append('"');
                sb.Append('>').Append(cell.Html).Append("</td>");
            }
            sb.Append("</tr>\n");
            if (row.Details is { } shown)
                sb.Append("<tr class=\"details\" hidden><td colspan=\"").Append(table.Columns.Count + 1).Append("\">").Append(shown.Html).Append("</td></tr>\n");
            sb.Append("</tbody>\n");
        }
        return sb.Append("</table>\n").ToString();
    }

    /// <summary>
    /// Objects as key/value tables, lists of objects as tables (one column per key), lists of values in one line;
    /// a number named "..._bytes" or "..._seconds" with its unit.
    /// </summary>
    private static string JsonHtml(JsonElement element) => JsonHtml(element, "");

    private static string JsonHtml(JsonElement element, string name) => element.ValueKind switch
    {
        JsonValueKind.Object => KeyValueTable(element.EnumerateObject().Select(p => (p.Name.Replace('_', ' '), JsonHtml(p.Value, p.Name)))),
        JsonValueKind.Number when name.EndsWith("bytes", StringComparison.Ordinal) => Encode(ReportUnits.Bytes(element.GetDouble())),
        JsonValueKind.Number when name.EndsWith("seconds", StringComparison.Ordinal) => Encode(ReportUnits.Seconds(element.GetDouble())),
        JsonValueKind.Array when element.EnumerateArray().Any() && element.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object) =>
            JsonObjectList(element.EnumerateArray().ToList()),
        JsonValueKind.Array => JsonValueList(element.EnumerateArray().ToList()),
        JsonValueKind.String => Encode(element.GetString()!),
        JsonValueKind.Number => Encode(element.TryGetInt64(out long n) ? ReportUnits.Count(n) : ReportUnits.Number(element.GetDouble(), 4)),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        _ => ReportUnits.Missing,
    };

    private static string JsonObjectList(IReadOnlyList<JsonElement> items)
    {
        var keys = items.SelectMany(i => i.EnumerateObject().Select(p => p.Name)).Distinct().ToList();
        var rows = items.Select(i => new HtmlRow(keys.Select(k => new HtmlCell(i.TryGetProperty(k, out var v) ? JsonHtml(v, k) : "")).ToList())).ToList();
        return TableHtml(new HtmlTable(keys.Select(k => new HtmlColumn(k.Replace('_', ' '))).ToList(), rows) { Sortable = false });
    }

    /// <summary>At most <see cref="ListedValues"/> values, then how many there are (a class count per class can be long).</summary>
    private static string JsonValueList(IReadOnlyList<JsonElement> items)
    {
        string shown = string.Join(", ", items.Take(ListedValues).Select(JsonHtml));
        return items.Count > ListedValues ? $"{shown}, … ({items.Count:N0} values)" : items.Count == 0 ? ReportUnits.Missing : shown;
    }

    private const int ListedValues = 20;

    private const string Styles =
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.4}" +
        "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}p.sub{color:#555;margin-top:-.6em}" +
        "table{border-collapse:collapse;font-size:13px;margin:.5em 0}th,td{border:1px solid #d4d4d4;padding:3px 8px;text-align:left;vertical-align:top}" +
        "thead th{background:#f1f1f1}table.kv th{background:#f7f7f7;font-weight:normal;color:#444}" +
        ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}" +
        "button.sort{all:unset;cursor:pointer;font-weight:bold}button.sort::after{content:' \\2195';color:#999}" +
        "th[aria-sort=ascending] button.sort::after{content:' \\2191';color:#222}th[aria-sort=descending] button.sort::after{content:' \\2193';color:#222}" +
        "button.toggle{cursor:pointer;font-size:12px;white-space:nowrap}tr.details>td{background:#fafafa;padding:4px 12px}" +
        "figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}ul.notes{color:#444;font-size:14px}" +
        ".warn{background:#fff4e5;border-left:4px solid #f0a020;padding:.5em 1em}p.files{font-size:14px}";

    /// <summary>Sorting by a header (numbers by data-sort, empty cells last either way) and showing a row's details.</summary>
    private const string Script = """

        document.querySelectorAll('table.sortable').forEach(function (table) {
          var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
          headers.forEach(function (th, column) {
            var button = th.querySelector('button.sort');
            if (!button) return;
            button.addEventListener('click', function () {
              var ascending = th.getAttribute('aria-sort') !== 'ascending';
              headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
              th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
              var numeric = th.getAttribute('data-type') === 'number';
              var groups = Array.prototype.slice.call(table.tBodies);
              groups.sort(function (a, b) {
                var x = sortKey(a, column, numeric), y = sortKey(b, column, numeric);
                if (x === null || y === null) return (x === null) - (y === null);
                var order = numeric ? x - y : x.localeCompare(y, undefined, { numeric: true });
                return ascending ? order : -order;
              });
              groups.forEach(function (g) { table.appendChild(g); });
            });
          });
        });
        function sortKey(group, column, numeric) {
          var cell = group.rows[0].cells[column];
          if (!numeric) return cell.textContent.trim();
          var value = cell.getAttribute('data-sort');
          return value === null ? null : parseFloat(value);
        }
        document.querySelectorAll('button.toggle').forEach(function (button) {
          button.addEventListener('click', function () {
            var details = button.closest('tbody').rows[1];
            details.hidden = !details.hidden;
            button.setAttribute('aria-expanded', String(!details.hidden));
          });
        });

        """;
}
