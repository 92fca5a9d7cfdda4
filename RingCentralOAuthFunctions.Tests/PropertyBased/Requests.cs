using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>What came back, from either an in-process handler or the wire.</summary>
public sealed record Answer(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>Runs an endpoint handler against a <see cref="DefaultHttpContext"/> (no server, no client-side URL rules), then executes its result.</summary>
public static class InProcess
{
    public static DefaultHttpContext Context(IServiceProvider services, string method, string path, string rawQuery = "",
        IEnumerable<KeyValuePair<string, StringValues>>? headers = null)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1");
        context.Request.Path = path;
        if (rawQuery.Length > 0) context.Request.QueryString = new QueryString("?" + rawQuery);
        foreach (var (name, value) in headers ?? []) context.Request.Headers[name] = value;
        context.Response.Body = new MemoryStream();
        return context;
    }

    public static async Task<Answer> RunAsync(HttpContext context, Func<HttpRequest, CancellationToken, Task<IResult>> handler)
    {
        var result = await handler(context.Request, CancellationToken.None);
        await result.ExecuteAsync(context);
        var body = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        return new Answer(context.Response.StatusCode,
            context.Response.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body);
    }
}

/// <summary>
/// HTTP/1.1 over a raw loopback socket: sends exactly the bytes given (no client-side escaping or header
/// validation), with <c>Connection: close</c>, and reads the whole answer.
/// </summary>
public static class RawHttp
{
    public static async Task<Answer> SendAsync(string baseUrl, string method, string target, IEnumerable<(string Name, string Value)>? headers = null,
        byte[]? body = null, bool chunked = false)
    {
        var uri = new Uri(baseUrl);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, uri.Port);
        await using var stream = client.GetStream();

        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(uri.Authority).Append("\r\n");
        foreach (var (name, value) in headers ?? []) head.Append(name).Append(": ").Append(value).Append("\r\n");
        if (body is not null && chunked) head.Append("Transfer-Encoding: chunked\r\n");
        else if (body is not null) head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        head.Append("Connection: close\r\n\r\n");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reading = ReadAllAsync(stream, timeout.Token);
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), timeout.Token);
            if (body is not null && chunked)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{body.Length:x}\r\n"), timeout.Token);
                await stream.WriteAsync(body, timeout.Token);
                await stream.WriteAsync("\r\n0\r\n\r\n"u8.ToArray(), timeout.Token);
            }
            else if (body is not null)
            {
                await stream.WriteAsync(body, timeout.Token);
            }
        }
        catch (IOException)
        {
            // The server may answer and close before reading everything it was sent (e.g. a refused oversized request).
        }

        return Parse(await reading);
    }

    private static async Task<byte[]> ReadAllAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0) buffer.Write(chunk, 0, read);
        }
        catch (IOException) when (buffer.Length > 0)
        {
            // A reset after the answer arrived.
        }

        return buffer.ToArray();
    }

    private static Answer Parse(byte[] raw)
    {
        var text = Encoding.Latin1.GetString(raw);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, "No HTTP answer came back");
        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        var body = text[(end + 4)..];
        if (headers.GetValueOrDefault("Transfer-Encoding") == "chunked") body = Unchunk(body);
        return new Answer(status, headers, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(body)));
    }

    private static string Unchunk(string body)
    {
        var result = new StringBuilder();
        var position = 0;
        while (position < body.Length)
        {
            var lineEnd = body.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(body[position..lineEnd].Split(';')[0], 16);
            if (size == 0) break;
            result.Append(body, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }

        return result.ToString();
    }
}
