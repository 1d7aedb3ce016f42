namespace ThermalPlant.Sensors.Api;

/// <summary>Route helpers shared by the API groups.</summary>
internal static class EndpointExtensions
{
    private static readonly string[] ReadMethods = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>Maps a read-only route for GET and HEAD (the DMZ lets both through).</summary>
    public static RouteHandlerBuilder MapRead(this IEndpointRouteBuilder app, string pattern, Delegate handler) =>
        app.MapMethods(pattern, ReadMethods, handler);
}
