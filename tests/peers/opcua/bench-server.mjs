// node-opcua's server as the anchor of the read-throughput benchmark (bench/run); it serves the same tree as
// `ThermalPlant.Benchmarks opcua-serve`, so that one client can read both the same way.
// Usage: node bench-server.mjs PORT [VARIABLES=1000] [UPDATE_MS=1000] [PKI_DIR]
// Serves opc.tcp://127.0.0.1:PORT/UA/Bench (SecurityPolicy None, anonymous, and with PKI_DIR also Basic256Sha256
// SignAndEncrypt, its PKI there, accepting any client certificate, its own made by own-certificate.mjs with the host
// names a client may connect by): Objects/Plant/Bench/Var_0000 ...
// as Double variables with string NodeIds "Plant.Bench.Var_0000" ... in namespace urn:thermalplant:bench.
// Every UPDATE_MS each value gets a new value and source timestamp, as a live plant's would.
// Prints "ready" once listening; stops on SIGTERM.
import { OPCUAServer, OPCUACertificateManager, DataType, Variant, StatusCodes, SecurityPolicy, MessageSecurityMode } from "node-opcua";
import { createOwnCertificate } from "./own-certificate.mjs";

const port = Number(process.argv[2]);
const count = Number(process.argv[3] ?? 1000);
const updateMs = Number(process.argv[4] ?? 1000);
const pki = process.argv[5];
const applicationUri = "urn:thermalplant:bench:node-server";

const security = pki
  ? {
      serverCertificateManager: new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: true }),
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
    }
  : { securityPolicies: [SecurityPolicy.None], securityModes: [MessageSecurityMode.None] };
if (pki) {
  await security.serverCertificateManager.initialize();
  await createOwnCertificate(security.serverCertificateManager, pki, applicationUri, "thermalplant-bench-anchor");
}
const server = new OPCUAServer({
  port,
  hostname: "127.0.0.1",
  resourcePath: "/UA/Bench",
  ...security,
  allowAnonymous: true,
  // Several client sessions read at once; the default limit is lower than a benchmark client asks for.
  serverCapabilities: { maxSessions: 64, operationLimits: { maxNodesPerRead: 10000 } },
  serverInfo: { applicationUri },
  buildInfo: { productName: "thermalplant-bench-anchor" },
});
await server.initialize();
const space = server.engine.addressSpace;
const ns = space.registerNamespace("urn:thermalplant:bench");
const plant = ns.addFolder(space.rootFolder.objects, { browseName: "Plant", nodeId: "s=Plant" });
const bench = ns.addFolder(plant, { browseName: "Bench", nodeId: "s=Plant.Bench" });
const variables = [];
for (let i = 0; i < count; i++) {
  const name = `Var_${String(i).padStart(4, "0")}`;
  variables.push(ns.addVariable({ componentOf: bench, browseName: name, nodeId: `s=Plant.Bench.${name}`, dataType: DataType.Double }));
}

// The same waveform as our server's host, so both serve values that change on every update.
let tick = 0;
const update = () => {
  const now = new Date();
  for (let i = 0; i < variables.length; i++) {
    variables[i].setValueFromSource(new Variant({ dataType: DataType.Double, value: Math.sin(tick * 0.1 + i) }), StatusCodes.Good, now);
  }
  tick++;
};
update();
setInterval(update, updateMs);

await server.start();
console.log("ready");
process.on("SIGTERM", async () => { await server.shutdown(0); process.exit(0); });
