using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.Services;

/// <summary>
/// GetEndpoints and FindServers (Part 4, 5.4): one endpoint per security policy and mode offered, each with the
/// server's certificate and the user token policies the server accepts (passwords encrypted with the server
/// certificate's key whatever the channel's policy); its URL keeps the host name the client used, so a client behind
/// NAT or a DNS alias can reconnect.
/// </summary>
internal sealed class DiscoveryService(OpcUaServerOptions options, ServerSecurity security, Func<int> port, UserAuthenticator users)
{
    public const string TransportProfile = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary";

    public ApplicationDescription Application(string? requestedUrl) => new()
    {
        ApplicationUri = options.ApplicationUri,
        ProductUri = options.ProductUri,
        ApplicationName = new LocalizedText("en", options.ApplicationName),
        ApplicationType = ApplicationType.Server,
        DiscoveryUrls = [EndpointUrl(requestedUrl)],
    };

    public GetEndpointsResponse GetEndpoints(GetEndpointsRequest request)
    {
        var endpoints = Endpoints(request.EndpointUrl);
        if (request.ProfileUris is { Length: > 0 } profiles && !profiles.Contains(TransportProfile)) endpoints = [];
        return new GetEndpointsResponse { Endpoints = endpoints };
    }

    public FindServersResponse FindServers(FindServersRequest request)
    {
        var matches = request.ServerUris is not { Length: > 0 } uris || uris.Contains(options.ApplicationUri);
        return new FindServersResponse { Servers = matches ? [Application(request.EndpointUrl)] : [] };
    }

    public EndpointDescription[] Endpoints(string? requestedUrl)
    {
        var url = EndpointUrl(requestedUrl);
        var server = Application(requestedUrl);
        var endpoints = new EndpointDescription[security.Endpoints.Count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            var offered = security.Endpoints[i];
            endpoints[i] = new EndpointDescription
            {
                EndpointUrl = url,
                Server = server,
                ServerCertificate = security.Certificate?.RawData,
                SecurityMode = offered.Mode,
                SecurityPolicyUri = offered.PolicyUri,
                UserIdentityTokens = users.Policies(),
                TransportProfileUri = TransportProfile,
                SecurityLevel = offered.SecurityLevel,
            };
        }
        return endpoints;
    }

    /// <summary>opc.tcp://host:port/path with the host the client asked for, when it asked for an opc.tcp URL.</summary>
    public string EndpointUrl(string? requestedUrl)
    {
        var host = Uri.TryCreate(requestedUrl, UriKind.Absolute, out var asked) && asked.Scheme == "opc.tcp" && asked.Host.Length > 0 ? asked.Host : options.HostName;
        return new UriBuilder("opc.tcp", host, port(), options.EndpointPath).Uri.ToString();
    }
}
