using System.Diagnostics.Metrics;

namespace RingCentralOAuthFunctions.Monitoring;

/// <summary>Counters the Azure portal can chart. Tags are fixed codes, never user data.</summary>
public sealed class Telemetry : IDisposable
{
    public const string MeterName = "RingCentralOAuthFunctions";

    private readonly Meter _meter;
    private readonly Counter<long> _connectOutcomes;
    private readonly Counter<long> _disconnects;

    public Telemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _connectOutcomes = _meter.CreateCounter<long>("ringcentral.connect.outcomes", description: "Connect flows by outcome (started, succeeded, failed, refused, rate_limited, bad_request) and reason");
        _disconnects = _meter.CreateCounter<long>("ringcentral.disconnects", description: "Disconnects by whether RingCentral revocation succeeded");
    }

    public void ConnectStarted() => _connectOutcomes.Add(1, new("outcome", "started"), new("reason", "none"));
    public void ConnectSucceeded() => _connectOutcomes.Add(1, new("outcome", "succeeded"), new("reason", "none"));
    public void ConnectFailed(string reason) => _connectOutcomes.Add(1, new("outcome", "failed"), new("reason", reason));
    public void ConnectRefused(string reason) => _connectOutcomes.Add(1, new("outcome", "refused"), new("reason", reason));
    /// <summary>A Callback whose state could not be opened: anonymous noise or a stale link, never a failed connect of a known user.</summary>
    public void CallbackBadRequest(string reason) => _connectOutcomes.Add(1, new("outcome", "bad_request"), new("reason", reason));
    public void ConnectRateLimited() => _connectOutcomes.Add(1, new("outcome", "rate_limited"), new("reason", "none"));
    public void Disconnected(bool revoked) => _disconnects.Add(1, new KeyValuePair<string, object?>("revoked", revoked));

    public void Dispose() => _meter.Dispose();
}
