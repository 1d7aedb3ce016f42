// The application certificate of a node-opcua server peer, made with the host names a client may connect by: the one
// node-opcua makes by itself names only the machine, and our client checks that the server's certificate names the
// host of its URL (127.0.0.1).
import os from "node:os";
import path from "node:path";

/** Creates PKI_DIR/own/certs/certificate.pem for `applicationUri` in the store of `certificateManager` (initialized). */
export async function createOwnCertificate(certificateManager, pki, applicationUri, commonName) {
  await certificateManager.createSelfSignedCertificate({
    applicationUri,
    dns: [os.hostname(), "localhost"],
    ip: ["127.0.0.1"],
    subject: `/CN=${commonName}`,
    outputFile: path.join(pki, "own", "certs", "certificate.pem"),
    startDate: new Date(),
    validity: 30,
  });
}
