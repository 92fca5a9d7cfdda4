using System.Globalization;

namespace RingCentralOAuthFunctions.Configuration;

/// <summary>
/// <c>RingCentral:SyncStaleAfter</c>: how long after the ERP's sync job last ran (<c>last_sync_at</c>) Status reports a
/// connection as an error, and the text it shows then. A .NET TimeSpan (<c>12:00:00</c>, <c>1.00:00:00</c>); more
/// than zero and at most <see cref="Max"/>.
/// </summary>
public static class SyncStaleness
{
    public const string SettingName = "RingCentral:SyncStaleAfter";
    public static readonly TimeSpan Default = TimeSpan.FromHours(12);
    public static readonly TimeSpan Max = TimeSpan.FromDays(366);
    public const string Malformed = "malformed (a TimeSpan such as 12:00:00, more than zero and at most 366 days)";

    /// <summary>The setting's value; empty means <see cref="Default"/>; null when it is malformed (Health's <c>SettingsCheck</c> names it).</summary>
    public static TimeSpan? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Default;
        return TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero && value <= Max ? value : null;
    }

    /// <summary>The error Status shows for a stale sync: exactly <c>Sync has not run in over 12 hours</c> for the default.</summary>
    public static string Message(TimeSpan staleAfter)
    {
        var hours = staleAfter.TotalHours.ToString("0.##", CultureInfo.InvariantCulture);
        return $"Sync has not run in over {hours} {(hours == "1" ? "hour" : "hours")}";
    }
}
