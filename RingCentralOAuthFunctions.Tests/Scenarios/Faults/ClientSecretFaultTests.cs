using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.Secrets;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// The vault cannot give RingCentral's client secret (Key Vault down) when a RingCentral call needs it: nothing is
/// sent to RingCentral, the answer is the usual "not available" one, and neither the secret nor the failure's text
/// reaches a log line or an answer.
/// </summary>
public sealed class ClientSecretFaultTests
{
    /// <summary>Reads settings as the tests' hosts do, except the client secret while <see cref="Down"/>.</summary>
    private sealed class ClientSecretOutage(ISecretSource inner) : ISecretSource
    {
        public const string FailureText = "vault-failure-detail-9d41";
        public volatile bool Down;

        public ValueTask<SecretValue> GetAsync(AppSecret secret, CancellationToken cancellationToken) =>
            Down && secret == AppSecret.RingCentralClientSecret
                ? ValueTask.FromException<SecretValue>(new SecretUnavailableException(secret, "unreadable", new HttpRequestException(FailureText)))
                : inner.GetAsync(secret, cancellationToken);
    }

    /// <summary>A user connected once, on a host whose secrets come through an outage switch (off until a test turns it on).</summary>
    private static async Task<(ReconnectScenario Scenario, ClientSecretOutage Outage)> ConnectedWithOutageAsync()
    {
        ClientSecretOutage? outage = null;
        var scenario = await ReconnectScenario.StartAsync(configure: b =>
        {
            outage = new ClientSecretOutage(new ConfigurationSecretSource(b.Configuration));
            b.Services.AddSingleton<ISecretSource>(outage);
        });
        return (scenario, outage!);
    }

    private static void AssertNothingLeaked(ServiceHost host, string answer)
    {
        var logs = host.AllLogText();
        foreach (var text in new[] { ClientSecretOutage.FailureText, Fakes.FakeRingCentral.ClientSecret })
        {
            Assert.DoesNotContain(text, logs);
            Assert.DoesNotContain(text, answer);
        }

        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Id.Name == "UnexpectedError");
    }

    [Fact]
    public async Task A_client_secret_the_vault_cannot_give_at_the_exchange_answers_503_not_available_sends_nothing_keeps_the_rows_and_the_ticket()
    {
        var (scenario, outage) = await ConnectedWithOutageAsync();
        await using var _ = scenario;
        var host = scenario.Host;
        var callbackUrl = await host.AuthorizeAsync(await host.GetAuthUrlAsync(scenario.User, ReconnectScenario.SecondEmail));
        var callback = await host.CallbackAsync(callbackUrl);
        Assert.Equal("success", callback.Status);
        var tokenRequestsBefore = host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count();
        var claimsBefore = host.Supabase.RequestsTo("POST", "/rest/v1/rpc/ringcentral_oauth_claim").Count();

        outage.Down = true;
        var complete = await host.CompleteAsync(scenario.User, callback.Ticket, ReconnectScenario.SecondEmail);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, complete.StatusCode);
        Assert.Equal("The RingCentral connection is not available right now.", complete.Error);
        Assert.Equal(tokenRequestsBefore, host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count()); // nothing sent
        scenario.AssertRowsAsBefore();
        scenario.AssertNoOrphanedTokens();
        AssertNothingLeaked(host, complete.Body.GetRawText());
        Assert.Equal("not_configured", scenario.ConnectFailedLine()["Reason"]); // as the callback names a missing secret
        Assert.Contains("/api/health/details", scenario.ConnectFailedLine()["OperatorHint"]);

        // Checked before the flow is claimed: the same ticket finishes the connection once the vault is back.
        Assert.Equal(claimsBefore, host.Supabase.RequestsTo("POST", "/rest/v1/rpc/ringcentral_oauth_claim").Count());
        outage.Down = false;
        var retried = await host.CompleteAsync(scenario.User, callback.Ticket, ReconnectScenario.SecondEmail);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(tokenRequestsBefore + 1, host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count());
        Assert.Equal(host.RingCentral.Issued.Last().RefreshToken, (string?)host.Supabase.Row(Fakes.FakeSupabase.TokensTable, scenario.User)!["refresh_token"]);
    }

    [Fact]
    public async Task A_client_secret_the_vault_cannot_give_at_disconnect_still_disconnects_and_the_revocation_stays_owed()
    {
        var (scenario, outage) = await ConnectedWithOutageAsync();
        await using var _ = scenario;
        var host = scenario.Host;

        outage.Down = true;
        using var response = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/disconnect", host.Supabase.MintAccessToken(scenario.User)));
        var answer = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"success":true}""", JsonDocument.Parse(answer).RootElement.GetRawText());
        scenario.AssertNoRows();
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/revoke")); // nothing sent without the secret
        Assert.Contains(scenario.First.RefreshToken, host.Supabase.OwedRevocations()); // retried later from the database
        Assert.Single(scenario.LogsNamed("RevokeFailed"));
        AssertNothingLeaked(host, answer);
    }
}
