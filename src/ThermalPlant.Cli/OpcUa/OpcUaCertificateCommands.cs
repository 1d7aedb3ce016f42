using System.CommandLine;
using System.Globalization;
using ThermalPlant.OpcUa.Security.Certificates;

namespace ThermalPlant.Cli.OpcUa;

/// <summary>
/// <c>thermalplant opcua certificates list|trust|reject --store DIR</c>: what an administrator does with an OPC UA
/// certificate store, typically after a client was refused and its certificate landed in rejected/certs; and the
/// site CA's verbs (<see cref="SiteCaCommands"/>).
/// </summary>
internal static class OpcUaCertificateCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var store = new Option<string>("--store") { Description = "The certificate store folder (own, trusted, issuers, rejected), e.g. the server's OpcServer:CertificateStorePath", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var thumbprint = new Argument<string>("thumbprint") { Description = "SHA-1 thumbprint of the certificate (a unique prefix is enough)" };
        var command = new Command("certificates", "List, trust and reject the certificates of an OPC UA certificate store; run a site CA (init-ca, issue, renew, revoke)");

        var list = new Command("list", "List the certificates in own, trusted, issuers and rejected") { store, json };
        list.SetAction(result =>
        {
            var opened = new CertificateStore(result.GetValue(store)!);
            var rows = new List<string[]>();
            foreach (var (name, folder) in Folders(opened))
            {
                foreach (var certificate in CertificateStore.Load(folder))
                {
                    using (certificate)
                    {
                        rows.Add([name, certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false), certificate.Thumbprint,
                            certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), string.Join(" ", ApplicationCertificates.Uris(certificate))]);
                    }
                }
            }
            OpcUaCommands.Print(output, result.GetValue(json), ["store", "subject", "thumbprint", "not after", "application uri"], rows);
            return 0;
        });

        var trust = new Command("trust", "Move a certificate from rejected to trusted, so that its application may connect") { store, thumbprint };
        trust.SetAction(result => Move(new CertificateStore(result.GetValue(store)!), result.GetValue(thumbprint)!, trusting: true, output, error));

        var reject = new Command("reject", "Move a certificate from trusted to rejected, so that its application is refused") { store, thumbprint };
        reject.SetAction(result => Move(new CertificateStore(result.GetValue(store)!), result.GetValue(thumbprint)!, trusting: false, output, error));

        command.Subcommands.Add(list);
        command.Subcommands.Add(trust);
        command.Subcommands.Add(reject);
        foreach (var verb in SiteCaCommands.Create(output, error)) command.Subcommands.Add(verb);
        return command;
    }

    private static int Move(CertificateStore store, string thumbprint, bool trusting, TextWriter output, TextWriter error)
    {
        var (from, to) = trusting ? (store.RejectedCerts, store.TrustedCerts) : (store.TrustedCerts, store.RejectedCerts);
        using var moved = CertificateStore.Move(from, to, thumbprint);
        if (moved is null)
        {
            error.WriteLine($"error: no single certificate with thumbprint {thumbprint} in {from}");
            return 1;
        }
        output.WriteLine($"{(trusting ? "trusted" : "rejected")}: {moved.Subject} [{moved.Thumbprint}]");
        return 0;
    }

    private static IEnumerable<(string Name, string Folder)> Folders(CertificateStore store) =>
    [
        ("own", store.OwnCerts),
        ("trusted", store.TrustedCerts),
        ("issuers", store.IssuersCerts),
        ("rejected", store.RejectedCerts),
    ];
}
