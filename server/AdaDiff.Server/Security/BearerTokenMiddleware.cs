using Microsoft.Extensions.Options;

namespace AdaDiff.Server.Security;

/// <summary>
/// Lets a request through only with an accepted bearer token, on both ports and for gRPC and HTTP/JSON alike.
/// Open without a token: grpc.health.v1, <c>/healthz</c> and <c>/readyz</c> (unless <see cref="AuthOptions.ProtectHealth"/>),
/// <c>/metrics</c> and server reflection (unless <see cref="AuthOptions.ProtectMetrics"/>). A refused gRPC call gets
/// UNAUTHENTICATED as a trailers-only response; a refused HTTP request gets 401 with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
internal sealed class BearerTokenMiddleware(RequestDelegate next, IOptions<AdaDiffOptions> options)
{
    private readonly AuthOptions auth = options.Value.Auth;
    private readonly TokenSet? tokens = string.IsNullOrEmpty(options.Value.Auth.TokenFile) ? null : TokenSet.Load(options.Value.Auth.TokenFile);

    public Task InvokeAsync(HttpContext context)
    {
        if (tokens is null || IsOpen(context.Request.Path) || tokens.Accepts(context.Request.Headers.Authorization))
        {
            return next(context);
        }
        HttpResponse response = context.Response;
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = "16";
            response.Headers["grpc-message"] = "A valid bearer token is required (authorization: Bearer <token>).";
            return Task.CompletedTask;
        }
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = "Bearer";
        response.ContentType = "application/json";
        return response.WriteAsync("{\"code\":16,\"message\":\"A valid bearer token is required (Authorization: Bearer <token>).\",\"details\":[]}");
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="segment"/> or below it, ignoring case as PathString does by default.</summary>
    private static bool Under(PathString path, string segment) => path.StartsWithSegments(segment, StringComparison.OrdinalIgnoreCase);

    private bool IsOpen(PathString path)
    {
        if (Under(path, "/grpc.health.v1.Health") || Under(path, "/healthz") || Under(path, "/readyz"))
        {
            return !auth.ProtectHealth;
        }
        if (Under(path, "/metrics") || Under(path, "/grpc.reflection.v1alpha.ServerReflection") || Under(path, "/grpc.reflection.v1.ServerReflection"))
        {
            return !auth.ProtectMetrics;
        }
        return false;
    }
}
