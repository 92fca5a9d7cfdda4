using System.Text;
using System.Text.RegularExpressions;

namespace RingCentralOAuthFunctions.Tests.Monitoring;

/// <summary>
/// A small checker for the Kusto queries in infra/: it infers the type of every column a query assigns
/// (<c>summarize x = count()</c>, <c>extend y = round(...)</c>, ...) and reports a <c>union</c> whose operands give one
/// column name two types. Kusto does not convert such columns: it keeps both, renamed (<c>refusals_long</c>,
/// <c>refusals_real</c>), so a chart over the union splits into half-empty series. Types come from a table of the
/// functions the queries use and of the Application Insights columns they aggregate; what it cannot type it leaves
/// alone (it reports only a proven mix).
/// </summary>
internal static partial class KqlColumnTypes
{
    /// <summary>Problems of one query text (empty when none). <paramref name="source"/> prefixes each message.</summary>
    public static List<string> Check(string source, string query)
    {
        var problems = new List<string>();
        var tables = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var statement in SplitTopLevel(StripComments(query), ';'))
        {
            var text = statement.Trim();
            if (text.Length == 0) continue;
            var let = LetStatement().Match(text);
            if (let.Success)
            {
                tables[let.Groups[1].Value] = Infer(source, let.Groups[2].Value, tables, problems);
                continue;
            }

            Infer(source, text, tables, problems);
        }

        return problems;
    }

    /// <summary>The columns (name to type; type null when unknown) a tabular expression ends with.</summary>
    private static Dictionary<string, string> Infer(string source, string expression, Dictionary<string, Dictionary<string, string>> tables, List<string> problems)
    {
        var stages = SplitTopLevel(expression, '|').Select(s => s.Trim()).ToList();
        var columns = Operand(source, stages[0], tables, problems);
        foreach (var stage in stages.Skip(1))
        {
            var op = Operator().Match(stage);
            if (!op.Success) continue;
            var body = stage[op.Length..];
            switch (op.Groups[1].Value)
            {
                case "union":
                    columns = Union(source, body, tables, problems);
                    break;
                case "summarize":
                    var by = SplitBy(body);
                    var next = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (name, type) in Assignments(by.Aggregates, columns)) next[name] = type;
                    foreach (var (name, type) in Assignments(by.Keys, columns)) next[name] = type;
                    columns = next;
                    break;
                case "extend":
                    foreach (var (name, type) in Assignments(body, columns)) columns[name] = type;
                    break;
                case "project":
                    columns = new Dictionary<string, string>(Assignments(body, columns), StringComparer.Ordinal);
                    break;
                case "project-away":
                    foreach (var name in SplitTopLevel(body, ',')) columns.Remove(name.Trim());
                    break;
            }
        }

        return columns;
    }

    /// <summary>The first stage: a table, a name bound by <c>let</c>, or <c>union a, b</c>.</summary>
    private static Dictionary<string, string> Operand(string source, string first, Dictionary<string, Dictionary<string, string>> tables, List<string> problems)
    {
        if (first.StartsWith("union ", StringComparison.Ordinal)) return Union(source, first["union ".Length..], tables, problems);
        if (first.StartsWith('(') && first.EndsWith(')')) return Infer(source, first[1..^1], tables, problems);
        return tables.TryGetValue(first, out var bound) ? new Dictionary<string, string>(bound, StringComparer.Ordinal) : new(StringComparer.Ordinal);
    }

    private static Dictionary<string, string> Union(string source, string operands, Dictionary<string, Dictionary<string, string>> tables, List<string> problems)
    {
        var parts = SplitTopLevel(operands, ',').Select(p => p.Trim()).Where(p => p.Length > 0 && !p.Contains('=', StringComparison.Ordinal)).ToList();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            foreach (var (name, type) in Operand(source, part, tables, problems))
            {
                if (type is null) continue;
                if (result.TryGetValue(name, out var earlier) && earlier is not null && earlier != type)
                    problems.Add($"{source}: union gives column '{name}' two types ({earlier} and {type}); Kusto keeps both as {name}_{earlier} and {name}_{type}");
                else result[name] = type;
            }
        }

        return result;
    }

    private static (string Aggregates, string Keys) SplitBy(string body)
    {
        var parts = SplitTopLevel(body, ' ', keepSeparator: true);
        var text = new StringBuilder();
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] == "by")
                return (text.ToString(), string.Join(' ', parts.Skip(i + 1)));
            text.Append(parts[i]).Append(' ');
        }

        return (text.ToString(), "");
    }

    /// <summary>Each <c>name = expression</c> (or a bare column) of a comma-separated list, with the expression's type.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Assignments(string list, Dictionary<string, string> columns)
    {
        foreach (var item in SplitTopLevel(list, ','))
        {
            var text = item.Trim();
            if (text.Length == 0) continue;
            var assignment = Assignment().Match(text);
            if (assignment.Success)
                yield return new(assignment.Groups[1].Value, TypeOf(assignment.Groups[2].Value.Trim(), columns)!);
            else if (Identifier().IsMatch(text))
                yield return new(text, columns.GetValueOrDefault(text)!);
            else if (text.StartsWith("bin(", StringComparison.Ordinal) && text.Contains("timestamp", StringComparison.Ordinal))
                yield return new("timestamp", "datetime");
        }
    }

    /// <summary>The type of an expression; null when this checker does not know it.</summary>
    internal static string? TypeOf(string expression, IReadOnlyDictionary<string, string> columns)
    {
        expression = expression.Trim();
        if (expression.StartsWith('\'') || expression.StartsWith('"')) return "string";
        if (RealLiteral().IsMatch(expression)) return "real";
        if (LongLiteral().IsMatch(expression)) return "long";
        if (Identifier().IsMatch(expression)) return columns.GetValueOrDefault(expression) ?? ColumnType(expression);

        var call = Call().Match(expression);
        if (!call.Success || !ClosesAtEnd(expression, call.Length - 1)) return Arithmetic(expression, columns);
        var args = SplitTopLevel(expression[call.Length..^1], ',').Select(a => a.Trim()).ToList();
        return call.Groups[1].Value switch
        {
            "count" or "countif" or "dcount" or "dcountif" or "tolong" => "long",
            "toint" => "int",
            "todouble" or "toreal" or "round" or "percentile" or "avg" or "avgif" or "stdev" or "variance" => "real",
            "tostring" or "strcat" or "extract" or "tolower" or "toupper" => "string",
            "bin" or "ago" or "now" or "todatetime" => "datetime",
            "make_set" or "make_list" or "pack" or "bag_pack" => "dynamic",
            // sum keeps the kind of its argument, widened: int and long sum to long, real to real.
            "sum" or "sumif" => Widen(args.Count > 0 ? TypeOf(args[0], columns) : null),
            "min" or "max" or "minif" or "maxif" or "any" or "take_any" => args.Count > 0 ? TypeOf(args[0], columns) : null,
            "iff" or "iif" => Same(args.Skip(1).Select(a => TypeOf(a, columns))),
            "case" => Same(args.Where((_, i) => i % 2 == 1 || i == args.Count - 1).Select(a => TypeOf(a, columns))),
            _ => null,
        };
    }

    private static string? Arithmetic(string expression, IReadOnlyDictionary<string, string> columns)
    {
        var operands = SplitTopLevel(expression, ' ').Where(t => t is not ("*" or "/" or "+" or "-")).ToList();
        if (operands.Count < 2) return null;
        var types = operands.Select(o => TypeOf(o, columns)).ToList();
        if (types.Any(t => t is null)) return null;
        if (types.Contains("real")) return "real";
        return types.All(t => t is "long" or "int") ? "long" : null;
    }

    private static string? Widen(string? type) => type is "int" or "long" ? "long" : type == "real" ? "real" : null;

    private static string? Same(IEnumerable<string?> types)
    {
        var distinct = types.Distinct().ToList();
        return distinct.Count == 1 ? distinct[0] : null;
    }

    /// <summary>Column types of the Application Insights tables the queries read (the classic schema).</summary>
    private static string? ColumnType(string column) => column switch
    {
        "value" or "valueSum" or "valueMin" or "valueMax" or "valueStdDev" or "duration" => "real",
        "valueCount" or "itemCount" => "int",
        "timestamp" => "datetime",
        "name" or "message" or "resultCode" or "url" or "cloud_RoleInstance" or "cloud_RoleName" or "operation_Name" => "string",
        "success" => "bool",
        _ => null,
    };

    private static bool ClosesAtEnd(string text, int open)
    {
        var depth = 0;
        var quote = '\0';
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '\'' or '"') quote = c;
            else if (c is '(' or '[') depth++;
            else if (c is ')' or ']' && --depth == 0) return i == text.Length - 1;
        }

        return false;
    }

    /// <summary>Splits at <paramref name="separator"/> outside parentheses, brackets and quotes.</summary>
    internal static List<string> SplitTopLevel(string text, char separator, bool keepSeparator = false)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var depth = 0;
        var quote = '\0';
        foreach (var c in text)
        {
            if (quote != '\0')
            {
                current.Append(c);
                if (c == quote) quote = '\0';
                continue;
            }

            if (c is '\'' or '"') quote = c;
            else if (c is '(' or '[') depth++;
            else if (c is ')' or ']') depth--;
            var split = separator == ' ' ? char.IsWhiteSpace(c) : c == separator;
            if (split && depth == 0)
            {
                if (current.Length > 0 || !keepSeparator) parts.Add(current.ToString());
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        parts.Add(current.ToString());
        return separator == ' ' ? parts.Where(p => p.Length > 0).ToList() : parts;
    }

    private static string StripComments(string query) => string.Join('\n', query.Split('\n').Select(l => l.TrimStart().StartsWith("//", StringComparison.Ordinal) ? "" : l));

    [GeneratedRegex(@"^let\s+(\w+)\s*=\s*(.+)$", RegexOptions.Singleline)]
    private static partial Regex LetStatement();

    [GeneratedRegex(@"^(union|summarize|extend|project-away|project|where|order|render|top|take|distinct|print)\b\s*")]
    private static partial Regex Operator();

    [GeneratedRegex(@"^(\w+)\s*=(?!=)\s*(.+)$", RegexOptions.Singleline)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^[A-Za-z_]\w*$")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^(\w+)\s*\(")]
    private static partial Regex Call();

    [GeneratedRegex(@"^\d+\.\d+$")]
    private static partial Regex RealLiteral();

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex LongLiteral();
}
