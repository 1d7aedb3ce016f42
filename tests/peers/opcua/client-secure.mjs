// node-opcua as an independent OPC UA client of a secured server under test.
// Usage: node client-secure.mjs ENDPOINT_URL PKI_DIR POLICY:MODE...
// Keeps its PKI (own certificate created on first use, trusted server certificates) in PKI_DIR; trusts only what
// is in PKI_DIR/trusted/certs. For each POLICY:MODE (e.g. Basic256Sha256:SignAndEncrypt) it connects, opens an
// anonymous session, reads ServerStatus.State and closes, and prints one JSON document with each outcome and the
// path of its own certificate.
import path from "node:path";
import { OPCUAClient, OPCUACertificateManager, MessageSecurityMode, SecurityPolicy } from "node-opcua";

const [endpoint, pki, ...pairs] = process.argv.slice(2);
const certificateManager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: false });
await certificateManager.initialize();
const certificateFile = path.join(certificateManager.rootDir, "own/certs/client_certificate.pem");
const out = { certificate: certificateFile, results: [] };
for (const pair of pairs) {
  const [policy, mode] = pair.split(":");
  const client = OPCUAClient.create({
    applicationName: "thermalplant-interop-secure",
    applicationUri: "urn:thermalplant:interop:node-opcua-client",
    clientCertificateManager: certificateManager,
    certificateFile,
    securityPolicy: SecurityPolicy[policy],
    securityMode: MessageSecurityMode[mode],
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100 },
    requestedSessionTimeout: 60000,
  });
  const result = { policy, mode };
  try {
    await client.connect(endpoint);
    const session = await client.createSession();
    const state = await session.read({ nodeId: "ns=0;i=2259", attributeId: 13 });
    result.status = state.statusCode.name;
    result.state = state.value.value;
    await session.close();
  } catch (err) {
    result.error = String(err?.message ?? err);
  } finally {
    await client.disconnect().catch(() => {});
  }
  out.results.push(result);
}
console.log(JSON.stringify(out));
process.exit(0);
