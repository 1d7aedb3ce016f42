// node-opcua as an independent OPC UA client logging in to the server under test.
// Usage: node client-login.mjs ENDPOINT_URL NODE_ID
// The user name and password come from THERMALPLANT_TEST_USER and THERMALPLANT_TEST_PASSWORD. On one connection with
// SecurityPolicy None it opens three sessions in turn: anonymous, the user with its password, and the user with a
// wrong password, and, when THERMALPLANT_TEST_CERT and THERMALPLANT_TEST_KEY name PEM files, a fourth with that X.509
// user certificate; in each session that opens it reads NODE_ID and writes 12.5 to it. Prints one JSON document with,
// per attempt, "session" ("ok" or the error) and the read and write status names.
import { readFileSync } from "node:fs";
import { OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, DataType, UserTokenType } from "node-opcua";

const [endpoint, nodeId] = process.argv.slice(2);
const userName = process.env.THERMALPLANT_TEST_USER;
const password = process.env.THERMALPLANT_TEST_PASSWORD;
const client = OPCUAClient.create({
  applicationName: "thermalplant-interop-login",
  securityMode: MessageSecurityMode.None,
  securityPolicy: SecurityPolicy.None,
  endpointMustExist: false,
  connectionStrategy: { maxRetry: 0, initialDelay: 100 },
  requestedSessionTimeout: 60000,
});

const attempt = async (identity) => {
  const result = {};
  let session;
  try {
    session = await client.createSession(identity);
    result.session = "ok";
  } catch (err) {
    result.session = String(err?.message ?? err);
    return result;
  }
  try {
    result.read = (await session.read({ nodeId, attributeId: AttributeIds.Value })).statusCode.name;
    result.write = (await session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 12.5 } } })).name;
  } finally {
    await session.close().catch(() => {});
  }
  return result;
};

const out = {};
try {
  await client.connect(endpoint);
  out.policies = (await client.getEndpoints()).flatMap(e => (e.userIdentityTokens ?? []).map(t => ({ type: UserTokenType[t.tokenType], policy: t.securityPolicyUri })));
  out.anonymous = await attempt(undefined);
  out.user = await attempt({ type: UserTokenType.UserName, userName, password });
  out.wrongPassword = await attempt({ type: UserTokenType.UserName, userName, password: `${password}-wrong` });
  if (process.env.THERMALPLANT_TEST_CERT) {
    out.certificate = await attempt({
      type: UserTokenType.Certificate,
      // The certificate as DER, the private key as PEM text (node-opcua makes its key object from it).
      certificateData: Buffer.from(readFileSync(process.env.THERMALPLANT_TEST_CERT, "utf8").replace(/-----[^-]+-----|\s/g, ""), "base64"),
      privateKey: readFileSync(process.env.THERMALPLANT_TEST_KEY, "utf8"),
    });
  }
  await client.disconnect();
  console.log(JSON.stringify(out));
} catch (err) {
  console.log(JSON.stringify({ error: String(err?.message ?? err), ...out }));
  await client.disconnect().catch(() => {});
  process.exit(1);
}
