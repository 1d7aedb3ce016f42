// node-opcua as an independent secured OPC UA server for our client.
// Usage: node server-secure.mjs PORT PKI_DIR
// Serves opc.tcp://127.0.0.1:PORT/UA/Secure with Basic256Sha256, Aes128_Sha256_RsaOaep and Aes256_Sha256_RsaPss in
// Sign and SignAndEncrypt (None only for discovery), anonymous sessions, and a Double "Unit.FlowSetpoint" = 16.7.
// Its PKI lives in PKI_DIR: it trusts only the client certificates in PKI_DIR/trusted/certs, and its own certificate is
// PKI_DIR/own/certs/certificate.pem, made with the host names a client may connect by (own-certificate.mjs).
// Prints "ready" once listening; stops when killed.
import { OPCUAServer, OPCUACertificateManager, DataType, Variant, SecurityPolicy, MessageSecurityMode } from "node-opcua";
import { createOwnCertificate } from "./own-certificate.mjs";

const port = Number(process.argv[2]);
const pki = process.argv[3];
const serverCertificateManager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: false });
await serverCertificateManager.initialize();
const applicationUri = "urn:thermalplant:interop:node-server";
await createOwnCertificate(serverCertificateManager, pki, applicationUri, "thermalplant-secure-peer");
const server = new OPCUAServer({
  port,
  hostname: "127.0.0.1",
  resourcePath: "/UA/Secure",
  serverCertificateManager,
  securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss],
  securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
  allowAnonymous: true,
  serverInfo: { applicationUri },
  buildInfo: { productName: "thermalplant-secure-peer" },
});
await server.initialize();
const space = server.engine.addressSpace;
const ns = space.getOwnNamespace();
const unit = ns.addFolder(space.rootFolder.objects, { browseName: "Unit", nodeId: "s=Unit" });
ns.addVariable({ componentOf: unit, browseName: "FlowSetpoint", nodeId: "s=Unit.FlowSetpoint", dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: 16.7 }) });
await server.start();
console.log("ready");
process.on("SIGTERM", async () => { await server.shutdown(0); process.exit(0); });
