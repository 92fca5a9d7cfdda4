using System.Text;
using System.Text.RegularExpressions;

namespace RingCentralOAuthFunctions.Tests.Architecture;

/// <summary>
/// The library's folders form one stack (docs/design.md): a folder's code names only folders below it, never one
/// above it nor a neighbour on its own step. Read from the source text: <c>using RingCentralOAuthFunctions.X</c>
/// lines, <c>RingCentralOAuthFunctions.X.</c> qualified names, and the short <c>X.</c> a file inside
/// <c>RingCentralOAuthFunctions</c> may write instead; comments and string literals are not code and are skipped.
/// The files at the library's root (the service registration) are the composition root and may name every folder.
/// </summary>
public sealed partial class FolderLayerTests
{
    /// <summary>Lowest first; folders on one step do not name each other.</summary>
    internal static readonly string[][] Stack =
    [
        ["Protocol"],
        ["Monitoring"],
        ["Secrets"],
        ["Configuration"],
        ["State", "RingCentral", "Supabase"],
        ["OAuth"],
        ["Health"],
        ["Endpoints"],
    ];

    private static readonly Dictionary<string, int> Step = Stack
        .SelectMany((folders, step) => folders.Select(folder => (folder, step)))
        .ToDictionary(x => x.folder, x => x.step, StringComparer.Ordinal);

    [Fact]
    public void Every_folder_of_the_library_is_on_the_stack()
    {
        var folders = Directory.GetDirectories(LibraryRoot()).Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj")).OfType<string>().ToList();
        Assert.All(folders, folder => Assert.True(Step.ContainsKey(folder), $"{folder}/ is not on the stack in {nameof(FolderLayerTests)}"));
        Assert.All(Step.Keys, folder => Assert.True(folders.Contains(folder), $"the stack names {folder}/, which does not exist"));
    }

    [Fact]
    public void No_folder_names_a_folder_above_it_or_beside_it()
    {
        var violations = LibraryFiles().SelectMany(f => Violations(f.Folder, f.RelativePath, File.ReadAllText(f.FullPath))).ToList();
        Assert.True(violations.Count == 0, "upward references:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void Namespaces_follow_folders()
    {
        var wrong = LibraryFiles()
            .Select(f => (f.RelativePath, Expected: $"namespace RingCentralOAuthFunctions.{f.Folder};",
                Declared: NamespaceLine().Match(File.ReadAllText(f.FullPath)).Value.Trim()))
            .Where(f => f.Declared != f.Expected)
            .Select(f => $"{f.RelativePath}: '{f.Declared}', expected '{f.Expected}'").ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Theory]
    [InlineData("using RingCentralOAuthFunctions.OAuth;", "OAuth")]
    [InlineData("using static RingCentralOAuthFunctions.Endpoints.Routes;", "Endpoints")]
    [InlineData("using Verifier = RingCentralOAuthFunctions.Protocol.Pkce; using Flow = RingCentralOAuthFunctions.OAuth.ConnectFlow;", "OAuth")]
    [InlineData("var ok = OAuth.Pkce.IsWellFormedVerifier(v);", "OAuth")]
    [InlineData("var m = global::RingCentralOAuthFunctions.Health.DependencyChecks.Interval;", "Health")]
    [InlineData("catch (Exception ex) when (ex is Supabase.TokenStoreException) { }", "Supabase")]
    public void The_check_names_the_file_and_a_planted_upward_reference(string code, string above)
    {
        var source = $"namespace RingCentralOAuthFunctions.State;\n\ninternal static class Planted\n{{\n    {code}\n}}\n";
        var violation = Assert.Single(Violations("State", "State/Planted.cs", source));
        Assert.Contains("State/Planted.cs", violation);
        Assert.Contains(above, violation);
    }

    [Theory]
    [InlineData("using RingCentralOAuthFunctions.Protocol; using RingCentralOAuthFunctions.Secrets;")]
    [InlineData("var ok = Pkce.IsWellFormedVerifier(v) && result.State.OAuth is null;")]
    [InlineData("// see OAuth.ConnectFlow, which opens this state\nvar s = \"RingCentralOAuthFunctions.OAuth.ConnectFlow\";")]
    [InlineData("/* Endpoints.CallbackEndpoint */ var s = @\"Health.DependencyChecks\"; var c = 'x'; var r = \"\"\"OAuth.Pkce\"\"\";")]
    public void References_down_the_stack_and_text_in_comments_or_strings_pass(string code)
    {
        var source = $"namespace RingCentralOAuthFunctions.State;\n\ninternal static class Planted\n{{\n    {code}\n}}\n";
        Assert.Empty(Violations("State", "State/Planted.cs", source));
    }

    [Fact]
    public void A_neighbour_on_the_same_step_is_refused_and_the_composition_root_may_name_anything()
    {
        Assert.Single(Violations("RingCentral", "RingCentral/X.cs", "using RingCentralOAuthFunctions.Supabase;"));
        Assert.Empty(Violations(null, "ServiceCollectionExtensions.cs", "using RingCentralOAuthFunctions.Endpoints;"));
    }

    /// <summary>One line per reference from <paramref name="folder"/> to a folder above it or beside it.</summary>
    internal static IEnumerable<string> Violations(string? folder, string relativePath, string source)
    {
        if (folder is null) yield break; // the composition root
        if (!Step.TryGetValue(folder, out var own))
        {
            yield return $"{relativePath}: folder {folder}/ is not on the stack";
            yield break;
        }
        var code = CodeOnly(source);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < code.Length; i++) if (code[i] == '\n') lineStarts.Add(i + 1);
        var seen = new HashSet<(int, string)>();
        foreach (Match match in FolderReference().Matches(code))
        {
            var named = match.Groups["folder"].Value;
            if (named == folder || !Step.TryGetValue(named, out var step) || step < own) continue;
            var line = lineStarts.FindLastIndex(start => start <= match.Index) + 1;
            if (seen.Add((line, named)))
                yield return $"{relativePath}:{line}: {folder}/ names {named}/ ('{match.Value.Trim()}'), which is {(step == own ? "beside" : "above")} it";
        }
    }

    /// <summary>The source with comments, string literals and character literals blanked (line breaks kept).</summary>
    internal static string CodeOnly(string source)
    {
        var s = new StringBuilder(source.Length);
        var i = 0;
        void Blank(int end) { for (; i < end && i < source.Length; i++) s.Append(source[i] == '\n' ? '\n' : ' '); }
        while (i < source.Length)
        {
            var c = source[i];
            var next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '/' && next == '/') { var end = source.IndexOf('\n', i); Blank(end < 0 ? source.Length : end); }
            else if (c == '/' && next == '*') { var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal); Blank(end < 0 ? source.Length : end + 2); }
            else if (c == '"' || ((c is '@' or '$') && (next == '"' || (next is '@' or '$') && i + 2 < source.Length && source[i + 2] == '"')))
            {
                var start = i;
                var prefix = 0;
                while (source[start + prefix] is '@' or '$') prefix++;
                var verbatim = source.AsSpan(start, prefix).Contains('@');
                var quotes = 0;
                while (start + prefix + quotes < source.Length && source[start + prefix + quotes] == '"') quotes++;
                int end;
                if (quotes >= 3)
                {
                    var close = source.IndexOf(new string('"', quotes), start + prefix + quotes, StringComparison.Ordinal);
                    end = close < 0 ? source.Length : close + quotes;
                }
                else
                {
                    end = start + prefix + 1;
                    if (quotes == 2 && !verbatim) end = start + prefix + 2; // ""
                    else
                        while (end < source.Length)
                        {
                            if (!verbatim && source[end] == '\\') { end += 2; continue; }
                            if (source[end] == '"')
                            {
                                if (verbatim && end + 1 < source.Length && source[end + 1] == '"') { end += 2; continue; }
                                end++;
                                break;
                            }
                            if (!verbatim && source[end] == '\n') break;
                            end++;
                        }
                }
                Blank(end);
            }
            else if (c == '\'')
            {
                var end = i + 1;
                while (end < source.Length && source[end] != '\'' && source[end] != '\n') end += source[end] == '\\' ? 2 : 1;
                Blank(Math.Min(end + 1, source.Length));
            }
            else { s.Append(c); i++; }
        }
        return s.ToString();
    }

    private static IEnumerable<(string? Folder, string RelativePath, string FullPath)> LibraryFiles()
    {
        var root = LibraryRoot();
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(relative => !relative.StartsWith("bin/", StringComparison.Ordinal) && !relative.StartsWith("obj/", StringComparison.Ordinal))
            .Select(relative => (relative.Contains('/') ? relative[..relative.IndexOf('/')] : null, relative, Path.Combine(root, relative)))
            .Where(f => f.Item1 is not null)
            .ToList();
    }

    private static string LibraryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln"))) return Path.Combine(dir.FullName, "RingCentralOAuthFunctions.Core");
        throw new InvalidOperationException("repository root (Functions.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary><c>RingCentralOAuthFunctions.X</c> (with or without <c>global::</c>), or <c>X.</c> not after a dot or a letter.</summary>
    [GeneratedRegex(@"\bRingCentralOAuthFunctions\.(?<folder>[A-Za-z_][A-Za-z0-9_]*)|(?<![A-Za-z0-9_.@])(?<folder>[A-Z][A-Za-z0-9_]*)\s*\.(?=\s*[A-Za-z_])")]
    private static partial Regex FolderReference();

    [GeneratedRegex(@"^namespace\s+[^\s;{]+\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
