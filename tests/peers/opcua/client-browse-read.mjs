// node-opcua as an independent OPC UA client of the server under test.
// Usage: node client-browse-read.mjs ENDPOINT_URL NODE_ID...
// Connects with SecurityPolicy None and an anonymous session, browses Objects two levels deep following
// hierarchical references, reads the Value, DataType, AccessLevel and Historizing of each NODE_ID, and
// prints one JSON document.
import { OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, BrowseDirection, StatusCodes } from "node-opcua";

const [endpoint, ...nodeIds] = process.argv.slice(2);
const client = OPCUAClient.create({
  applicationName: "thermalplant-interop",
  securityMode: MessageSecurityMode.None,
  securityPolicy: SecurityPolicy.None,
  endpointMustExist: false,
  connectionStrategy: { maxRetry: 0, initialDelay: 100 },
  requestedSessionTimeout: 60000,
});

const out = { endpoints: [], tree: [], reads: {} };
try {
  await client.connect(endpoint);
  out.endpoints = (await client.getEndpoints()).map(e => ({ url: e.endpointUrl, policy: e.securityPolicyUri, mode: e.securityMode }));
  const session = await client.createSession();
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
  await session.close();
  await client.disconnect();
  console.log(JSON.stringify(out));
} catch (err) {
  console.log(JSON.stringify({ error: String(err?.message ?? err), ...out }));
  await client.disconnect().catch(() => {});
  process.exit(1);
}
