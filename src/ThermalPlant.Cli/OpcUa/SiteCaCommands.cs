using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Security.Certificates;

namespace ThermalPlant.Cli.OpcUa;

/// <summary>
/// <c>thermalplant opcua certificates init-ca|issue|renew|revoke</c>: a site certificate authority
/// (<see cref="CertificateAuthority"/>) that issues every application's certificate, so that each store trusts the CA
/// (and its CRL) instead of each peer. Each verb can run again and again (a one-shot init service at every start):
/// init-ca keeps an existing CA, issue keeps a current certificate that already fits, renew only renews what expires soon.
/// </summary>
internal static class SiteCaCommands
{
    public static IEnumerable<Command> Create(TextWriter output, TextWriter error)
    {
        var ca = new Option<string>("--ca") { Description = "The CA's folder (certs, private, crl, issued)", Required = true };
        var crlDays = new Option<int>("--crl-days") { Description = "Days the CRL is valid; peers refuse the CA's certificates once it is past (renew re-signs it)", DefaultValueFactory = _ => 365 };

        var name = new Option<string>("--name") { Description = "The CA's common name", DefaultValueFactory = _ => "Thermal Plant site CA" };
        var caDays = new Option<int>("--days") { Description = "Days the CA certificate is valid", DefaultValueFactory = _ => 3650 };
        var init = new Command("init-ca", "Create the site CA in --ca (nothing changes when one is there)") { ca, name, caDays, crlDays };
        init.SetAction(result => Guard(error, () =>
        {
            var path = result.GetValue(ca)!;
            var existed = CertificateAuthority.Exists(path);
            using var authority = CertificateAuthority.Init(path, result.GetValue(name)!, TimeProvider.System, Days(result.GetValue(caDays)), Days(result.GetValue(crlDays)));
            output.WriteLine($"{(existed ? "kept" : "created")}: {authority.Certificate.Subject} [{authority.Certificate.Thumbprint}] valid to {Day(authority.Certificate.NotAfter)}");
        }));

        var store = new Option<string>("--store") { Description = "The application's certificate store (own, trusted, issuers, rejected)", Required = true };
        var uri = new Option<string>("--uri") { Description = "The application's ApplicationUri, e.g. urn:thermalplant:opcserver", Required = true };
        var application = new Option<string>("--application-name") { Description = "The certificate's common name", Required = true };
        var hosts = new Option<string[]>("--host") { Description = "A host name or address the application is reached by (repeat for each)", Required = true, AllowMultipleArgumentsPerToken = true };
        var days = new Option<int>("--days") { Description = "Days the certificate is valid", DefaultValueFactory = _ => 730 };
        var within = new Option<int>("--within") { Description = "Renew what expires within this many days", DefaultValueFactory = _ => 30 };
        var force = new Option<bool>("--force") { Description = "Issue a new certificate even when a current one fits" };
        var issue = new Command("issue", "Issue the application's certificate into --store's own (replacing others for its URI) and trust the CA and its CRL there") { ca, store, uri, application, hosts, days, within, force };
        issue.SetAction(result => Guard(error, () =>
        {
            using var authority = CertificateAuthority.Open(result.GetValue(ca)!, TimeProvider.System);
            var target = new CertificateStore(result.GetValue(store)!);
            var wanted = result.GetValue(hosts)!;
            var current = Current(authority, target, result.GetValue(uri)!, Days(result.GetValue(within)));
            if (!result.GetValue(force) && current is not null && Fits(current, wanted))
            {
                authority.Publish(target);
                output.WriteLine($"kept: {current.Subject} [{current.Thumbprint}] valid to {Day(current.NotAfter)} in {target.OwnCerts}");
                current.Dispose();
                return;
            }
            current?.Dispose();
            using var issued = authority.IssueInto(target, result.GetValue(uri)!, result.GetValue(application)!, wanted, Days(result.GetValue(days)));
            output.WriteLine($"issued: {issued.Subject} [{issued.Thumbprint}] valid to {Day(issued.NotAfter)} in {target.OwnCerts}");
        }));

        var renew = new Command("renew", "Renew --store's CA-issued certificates and the CRL that expire within --within days (restart the application to load a renewed certificate)") { ca, store, within, days, crlDays };
        renew.SetAction(result => Guard(error, () =>
        {
            using var authority = CertificateAuthority.Open(result.GetValue(ca)!, TimeProvider.System);
            var target = new CertificateStore(result.GetValue(store)!);
            var deadline = TimeProvider.System.GetUtcNow().UtcDateTime + Days(result.GetValue(within));
            if (authority.CrlNextUpdate is { } next && next <= deadline)
            {
                authority.RenewCrl(Days(result.GetValue(crlDays)));
                output.WriteLine($"renewed the CRL: valid to {Day(authority.CrlNextUpdate ?? next)}");
            }
            var renewed = 0;
            foreach (var certificate in authority.IssuedIn(target))
            {
                using (certificate)
                {
                    if (certificate.NotAfter.ToUniversalTime() > deadline) continue;
                    var uris = ApplicationCertificates.Uris(certificate);
                    var applicationUri = uris.Count > 0 ? uris[0] : throw new InvalidOperationException($"{certificate.Subject} names no ApplicationUri");
                    var names = ApplicationCertificates.DnsNames(certificate).Concat(ApplicationCertificates.IpAddresses(certificate).Select(a => a.ToString()));
                    using var issued = authority.IssueInto(target, applicationUri, certificate.GetNameInfo(X509NameType.SimpleName, false), [.. names], Days(result.GetValue(days)));
                    output.WriteLine($"renewed: {issued.Subject} [{issued.Thumbprint}] valid to {Day(issued.NotAfter)} (was to {Day(certificate.NotAfter)})");
                    renewed++;
                }
            }
            authority.Publish(target);
            if (renewed == 0) output.WriteLine($"nothing in {target.OwnCerts} expires before {Day(deadline)}");
        }));

        var thumbprint = new Argument<string>("thumbprint") { Description = "SHA-1 thumbprint (a unique prefix is enough) of a certificate the CA issued" };
        var stores = new Option<string[]>("--store") { Description = "A store to publish the new CRL into (repeat for each)", AllowMultipleArgumentsPerToken = true };
        var revoke = new Command("revoke", "Revoke a certificate the CA issued: add it to the CRL and publish the CRL into each --store") { ca, thumbprint, stores, crlDays };
        revoke.SetAction(result => Guard(error, () =>
        {
            using var authority = CertificateAuthority.Open(result.GetValue(ca)!, TimeProvider.System);
            var prefix = result.GetValue(thumbprint)!;
            var matches = CertificateStore.Load(authority.IssuedPath).Where(c => c.Thumbprint.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count != 1)
            {
                foreach (var match in matches) match.Dispose();
                throw new InvalidOperationException($"no single certificate with thumbprint {prefix} in {authority.IssuedPath}");
            }
            using var revoked = matches[0];
            authority.Revoke(revoked, Days(result.GetValue(crlDays)));
            foreach (var path in result.GetValue(stores) ?? []) authority.Publish(new CertificateStore(path));
            output.WriteLine($"revoked: {revoked.Subject} [{revoked.Thumbprint}]; the CRL is in {authority.CrlPath}");
        }));

        return [init, issue, renew, revoke];
    }

    private static TimeSpan Days(int days) => days is >= 1 and <= 36500 ? TimeSpan.FromDays(days) : throw new FormatException($"{days} days is not between 1 and 36500");

    private static string Day(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    // The newest CA-issued certificate for the URI that is valid beyond the renewal window, or null.
    private static X509Certificate2? Current(CertificateAuthority authority, CertificateStore store, string applicationUri, TimeSpan within)
    {
        X509Certificate2? best = null;
        foreach (var certificate in authority.IssuedIn(store))
        {
            if (ApplicationCertificates.Uris(certificate).Contains(applicationUri) && certificate.NotAfter.ToUniversalTime() > TimeProvider.System.GetUtcNow().UtcDateTime + within && (best is null || certificate.NotAfter > best.NotAfter))
            {
                best?.Dispose();
                best = certificate;
            }
            else
            {
                certificate.Dispose();
            }
        }
        return best;
    }

    private static bool Fits(X509Certificate2 certificate, string[] hosts)
    {
        var named = ApplicationCertificates.DnsNames(certificate).Select(n => n.ToUpperInvariant())
            .Concat(ApplicationCertificates.IpAddresses(certificate).Select(a => a.ToString())).ToHashSet();
        return hosts.All(h => named.Contains(System.Net.IPAddress.TryParse(h, out var address) ? address.ToString() : h.ToUpperInvariant()));
    }

    private static int Guard(TextWriter error, Action work)
    {
        try
        {
            work();
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or CryptographicException or FormatException)
        {
            error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}
