// node-opcua as an independent OPC UA client of the server under test.
// Usage: node client-browse-read.mjs ENDPOINT_URL WRITABLE_NODE_ID NODE_ID...
// Connects with SecurityPolicy None and an anonymous session, reads ServerStatus and NamespaceArray as
// clients do on connect, browses Objects three levels deep following hierarchical references, translates
// the browse path Objects/Server/ServerStatus/CurrentTime, reads the Value, DataType, AccessLevel and
// Historizing of each NODE_ID, writes 21.5 (allowed) and "text" (refused) to WRITABLE_NODE_ID and writes
// to the first NODE_ID (refused), and prints one JSON document.
import { OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, BrowseDirection, StatusCodes, DataType, makeBrowsePath } from "node-opcua";

const [endpoint, writable, ...nodeIds] = process.argv.slice(2);
const client = OPCUAClient.create({
  applicationName: "thermalplant-interop",
  securityMode: MessageSecurityMode.None,
  securityPolicy: SecurityPolicy.None,
  endpointMustExist: false,
  connectionStrategy: { maxRetry: 0, initialDelay: 100 },
  requestedSessionTimeout: 60000,
});

const out = { endpoints: [], tree: [], reads: {}, writes: {} };
try {
  await client.connect(endpoint);
  out.endpoints = (await client.getEndpoints()).map(e => ({ url: e.endpointUrl, policy: e.securityPolicyUri, mode: e.securityMode }));
  const session = await client.createSession();
  const status = await session.read({ nodeId: "ns=0;i=2256", attributeId: AttributeIds.Value });
  out.serverState = status.value.value?.state ?? null;
  const [currentTime, namespaces] = await session.read([
    { nodeId: "ns=0;i=2258", attributeId: AttributeIds.Value },
    { nodeId: "ns=0;i=2255", attributeId: AttributeIds.Value },
  ]);
  out.currentTime = currentTime.value.value?.toISOString() ?? null;
  out.namespaces = Array.from(namespaces.value.value ?? []);
  const translated = await session.translateBrowsePath(makeBrowsePath("ns=0;i=85", "/Server.ServerStatus.CurrentTime"));
  out.translated = translated.targets?.[0]?.targetId?.toString() ?? translated.statusCode.name;
  const walk = async (nodeId, path, depth) => {
    const result = await session.browse({ nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: "HierarchicalReferences", includeSubtypes: true, resultMask: 63 });
    if (result.statusCode !== StatusCodes.Good) throw new Error(`browse ${nodeId}: ${result.statusCode.toString()}`);
    for (const ref of result.references ?? []) {
      const child = `${path}/${ref.browseName.name}`;
      out.tree.push({ path: child, nodeId: ref.nodeId.toString(), nodeClass: ref.nodeClass });
      if (depth > 1) await walk(ref.nodeId, child, depth - 1);
    }
  };
  await walk("ns=0;i=85", "Objects", 3);
  for (const nodeId of nodeIds) {
    const [value, dataType, accessLevel, historizing] = await session.read([
      { nodeId, attributeId: AttributeIds.Value },
      { nodeId, attributeId: AttributeIds.DataType },
      { nodeId, attributeId: AttributeIds.AccessLevel },
      { nodeId, attributeId: AttributeIds.Historizing },
    ]);
    out.reads[nodeId] = {
      value: value.value.value,
      status: value.statusCode.name,
      sourceTimestamp: value.sourceTimestamp?.toISOString() ?? null,
      dataType: dataType.value.value?.toString() ?? null,
      accessLevel: accessLevel.value.value,
      historizing: historizing.value.value,
    };
  }
  out.writes.allowed = (await session.write({ nodeId: writable, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 21.5 } } })).name;
  out.writes.wrongType = (await session.write({ nodeId: writable, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.String, value: "text" } } })).name;
  out.writes.readOnly = (await session.write({ nodeId: nodeIds[0], attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 1 } } })).name;
  out.writes.readBack = (await session.read({ nodeId: writable, attributeId: AttributeIds.Value })).value.value;
  await session.close();
  await client.disconnect();
  console.log(JSON.stringify(out));
} catch (err) {
  console.log(JSON.stringify({ error: String(err?.message ?? err), ...out }));
  await client.disconnect().catch(() => {});
  process.exit(1);
}
