// The smallest comparable Functions app: the isolated worker with ASP.NET Core integration and one HTTP function.
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Build().Run();

namespace RingCentralOAuthFunctions.Bench.EmptyFunctions
{
    public static class Health
    {
        [Function("Health")]
        public static IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
            Results.Json(new { status = "ok" });
    }
}
