using System.Diagnostics;
using System.Diagnostics.Metrics;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.Tests.Monitoring;

/// <summary>
/// Key Vault reads (against a mocked <see cref="SecretClient"/>) are child spans of the calling span, marked failed
/// when the vault does not answer usefully, counted as <c>key_vault</c> upstream calls, and never carry the value.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class KeyVaultSpanTests
{
    private const string SecretText = "vault-secret-value-7f3a91c2";

    [Fact]
    public async Task A_secret_read_is_a_child_span_failed_when_the_vault_is_unavailable_and_never_carries_the_value()
    {
        using var parentSource = new ActivitySource("test-" + Guid.NewGuid());
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Tracing.SourceName || s.Name == parentSource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var outcomes = new List<string>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (i.Meter.Scope == factory && i.Name == UpstreamCalls.DurationMetric) l.EnableMeasurementEvents(i); },
        };
        meters.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var values = new Dictionary<string, object?>();
            foreach (var t in tags) values[t.Key] = t.Value;
            lock (outcomes) outcomes.Add($"{values["upstream"]}:{values["outcome"]}");
        });
        meters.Start();

        var client = new Mock<SecretClient>(MockBehavior.Strict);
        client.Setup(c => c.GetSecretAsync("ringcentral-client-secret", null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Response.FromValue(new KeyVaultSecret("ringcentral-client-secret", SecretText), Mock.Of<Response>()));
        client.Setup(c => c.GetSecretAsync("oauth-state-key", null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(503, "vault busy"));
        var source = new KeyVaultSecretSource(client.Object, new FakeTimeProvider(DateTimeOffset.UtcNow), NullLogger<KeyVaultSecretSource>.Instance, new UpstreamCalls(factory));

        Activity parent;
        using (parent = parentSource.StartActivity("caller")!)
        {
            Assert.Equal(SecretText, (await source.GetAsync(AppSecret.RingCentralClientSecret, default)).Value);
            await Assert.ThrowsAsync<SecretUnavailableException>(async () => await source.GetAsync(AppSecret.StateKey, default));
        }

        List<Activity> children;
        lock (spans) children = spans.Where(s => s.ParentSpanId == parent.SpanId && s.TraceId == parent.TraceId).ToList();
        var read = Assert.Single(children, s => s.DisplayName == "KeyVault GET secret ringcentral-client-secret");
        var failed = Assert.Single(children, s => s.DisplayName == "KeyVault GET secret oauth-state-key");

        Assert.Equal(Upstreams.KeyVault, read.GetTagItem(Tracing.UpstreamAttribute));
        Assert.NotEqual(ActivityStatusCode.Error, read.Status);
        Assert.Equal(UpstreamCalls.Ok, read.GetTagItem(Tracing.OutcomeAttribute));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.Equal(503, failed.GetTagItem("http.response.status_code"));
        Assert.Equal(UpstreamCalls.Unavailable, failed.GetTagItem(Tracing.OutcomeAttribute));
        lock (outcomes) Assert.Equal(["key_vault:ok", "key_vault:unavailable"], outcomes.Order().ToArray());

        var text = string.Join('\n', children.SelectMany(s => s.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(s.DisplayName).Append(s.StatusDescription ?? "")));
        Assert.DoesNotContain(SecretText, text, StringComparison.Ordinal);
        Assert.DoesNotContain("vault busy", text, StringComparison.Ordinal); // exception messages are not recorded
    }
}
