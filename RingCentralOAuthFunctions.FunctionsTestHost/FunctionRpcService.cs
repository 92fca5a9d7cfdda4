using Grpc.Core;
using RingCentralOAuthFunctions.FunctionsTestHost.Rpc;

namespace RingCentralOAuthFunctions.FunctionsTestHost;

/// <summary>The gRPC service the worker connects to: its one bidirectional stream is handed to the <see cref="WorkerChannel"/>.</summary>
internal sealed class FunctionRpcService(WorkerChannel channel) : FunctionRpc.FunctionRpcBase
{
    public override Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context) =>
        channel.RunAsync(requestStream, responseStream, context.CancellationToken);
}
