namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// The front-end module's types: <c>docs/frontend/ringcentralOAuth.js</c> is checked by the pinned TypeScript compiler
/// (JSDoc types, <c>checkJs</c>, strict) as the ERP's own code is. Needs Node.js; the test command installs the compiler.
/// </summary>
public sealed class FrontEndModuleTests
{
    [TypeCheckFact]
    public async Task The_module_type_checks_with_the_pinned_compiler()
    {
        var (exitCode, output) = await FrontEndModule.TypeCheckAsync();

        Assert.True(exitCode == 0, $"tsc found errors in {FrontEndModule.FileName}:\n{output}");
        Assert.Equal("", output.Trim());
    }

    [TypeCheckFact]
    public async Task The_check_covers_the_javascript_a_type_error_in_the_module_fails_it()
    {
        var directory = Directory.CreateTempSubdirectory("ringcentral-frontend-");
        try
        {
            File.Copy(Path.Combine(FrontEndModule.SourceDirectory, "tsconfig.json"), Path.Combine(directory.FullName, "tsconfig.json"));
            var module = FrontEndModule.Read();
            const string connected = "return { status: \"connected\", email: email ?? \"\" };";
            Assert.Contains(connected, module);
            File.WriteAllText(Path.Combine(directory.FullName, FrontEndModule.FileName), module.Replace(connected, "return { status: \"connected\", email: 42 };"));

            var (exitCode, output) = await FrontEndModule.TypeCheckAsync(Path.Combine(directory.FullName, "tsconfig.json"));

            Assert.NotEqual(0, exitCode);
            Assert.Contains("TS2322", output);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

/// <summary>A fact that needs Node.js and the pinned compiler: skipped with install instructions where missing, failed instead under <c>REQUIRE_BROWSER=1</c>.</summary>
public sealed class TypeCheckFactAttribute : FactAttribute
{
    public TypeCheckFactAttribute()
    {
        if (!BrowserEnvironment.Required && FrontEndModule.MissingTypeChecker() is { } missing)
            Skip = $"{missing} (With {BrowserEnvironment.RequireVariable}=1 this is a failure, not a skip.)";
    }
}
