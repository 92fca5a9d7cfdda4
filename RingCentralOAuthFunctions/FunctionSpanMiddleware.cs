using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using RingCentralOAuthFunctions.Monitoring;

namespace RingCentralOAuthFunctions;

/// <summary>Starts the span of each function call, named after the function, and marks it failed on an exception or a 5xx answer.</summary>
internal sealed class FunctionSpanMiddleware : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        using var span = Tracing.StartFunction(context.FunctionDefinition.Name);
        try
        {
            await next(context);
            Tracing.EndFunction(span, context.GetInvocationResult().Value, null);
        }
        catch (Exception ex)
        {
            Tracing.EndFunction(span, null, ex);
            throw;
        }
    }
}
