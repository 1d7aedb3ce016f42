using System.CommandLine;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Cli.OpcUa;

/// <summary>
/// How an <c>opcua</c> command connects (login and security from its options) and what its exit code says:
/// 0 done, 1 the server or the connection failed, 2 a usage error, 3 a certificate is not trusted by one side or does
/// not name the host connected to.
/// </summary>
internal sealed class OpcUaConnection(LoginOptions login, SecurityOptions security, TextWriter output, TextWriter error)
{
    /// <summary>Where results are printed.</summary>
    public TextWriter Output => output;

    /// <summary>Connects to <paramref name="url"/> as the options of <paramref name="result"/> say, runs <paramref name="work"/> and closes.</summary>
    public Task<int> RunAsync(ParseResult result, string url, Func<OpcUaClient, Task> work, bool session, CancellationToken cancellationToken) =>
        GuardAsync(result, async options =>
        {
            // With a session, one handshake deadline covers the channel, the endpoint selection and the session.
            await using var client = await OpcUaClient.ConnectAsync(url, options, cancellationToken: cancellationToken, sessionName: session ? "thermalplant-cli" : null);
            await work(client);
            await client.CloseAsync(cancellationToken);
        });

    /// <summary>Runs <paramref name="work"/> (discovery, which needs no endpoint selected) with the options of <paramref name="result"/>.</summary>
    public Task<int> RunDiscoveryAsync(ParseResult result, Func<OpcUaClientOptions, Task> work) => GuardAsync(result, work);

    private async Task<int> GuardAsync(ParseResult result, Func<OpcUaClientOptions, Task> work)
    {
        OpcUaClientOptions? options = null;
        try
        {
            options = security.ClientOptions(result, login.From(result));
            await work(options);
            return 0;
        }
        catch (UntrustedCertificateException ex)
        {
            await error.WriteLineAsync(
                $"error: the server's certificate {ex.Subject} [{ex.Thumbprint}] is not trusted by this command line; it was copied to {Path.Combine(ex.StorePath, "rejected", "certs")}.{Environment.NewLine}" +
                $"If it is the server you meant, trust it with: thermalplant opcua certificates trust --store {ex.StorePath} {ex.Thumbprint}");
            return 3;
        }
        catch (OpcUaException ex) when (options is not null && RefusesOurCertificate(ex))
        {
            await error.WriteLineAsync(Refused(options, ex));
            return 3;
        }
        catch (OpcUaException ex) when (ex.Status.Code == StatusCodes.BadCertificateHostNameInvalid)
        {
            await error.WriteLineAsync(
                $"error: {ex.Message}.{Environment.NewLine}" +
                "Connect by a name the certificate lists, or, if this is the server you meant, add --no-host-name-check.");
            return 3;
        }
        catch (OpcUaException ex)
        {
            // The message starts with the status already.
            await error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }
    }

    /// <summary>
    /// Whether the server says it does not trust our certificate: BadCertificateUntrusted anywhere, or
    /// BadSecurityChecksFailed in answer to OpenSecureChannel, which is how most servers (node-opcua among them) say it.
    /// </summary>
    private static bool RefusesOurCertificate(OpcUaException refusal) =>
        refusal.Status.Code == StatusCodes.BadCertificateUntrusted
        || (refusal is ChannelRefusedException && refusal.Status.Code == StatusCodes.BadSecurityChecksFailed);

    /// <summary>Says which of our certificates the server refused, where it is, and how the server's administrator trusts it.</summary>
    private static string Refused(OpcUaClientOptions options, OpcUaException refusal)
    {
        using var certificate = ClientCertificates.Resolve(options, TimeProvider.System);
        var file = options.CertificateStorePath is { } store ? Path.Combine(new CertificateStore(store).OwnCerts, CertificateStore.FileName(certificate)) : "(not saved)";
        return $"error: {refusal.Status}: the server does not trust this command line's certificate {certificate.Subject} [{certificate.Thumbprint}].{Environment.NewLine}" +
            $"Its certificate is {file}. The server keeps it in its store's rejected/certs; its administrator trusts it with:{Environment.NewLine}" +
            $"  thermalplant opcua certificates trust --store SERVER_STORE {certificate.Thumbprint}{Environment.NewLine}" +
            $"(or copies the file above into the server store's trusted/certs), then run this command again.{Environment.NewLine}" +
            "A node-opcua server keeps it as rejected/*.pem in its PKI folder: move that file to trusted/certs (a certificate left in rejected/ stays refused).";
    }
}
