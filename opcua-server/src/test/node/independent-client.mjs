// An independent OPC UA client written from docs/opcua.md alone (node-opcua): connects with
// Basic256Sha256 + SignAndEncrypt and a user name and password, reads the namespace indexes from
// NamespaceArray (i=2255), the served model version, subscribes to the ResultReadyEvents of Server
// (i=2253), then reads one camera's counters. Prints one JSON object per line on stdout.
//
// node independent-client.mjs <config.json>   with config keys: endpoint, serverCertificate (DER),
// certificateFile, privateKeyFile (PEM), applicationUri, pkiDir, user, password, camera, events
// (how many ResultReadyEvents to wait for), timeoutMs.
// Exit 0: done; 2: bad arguments; 3: connection or session refused; 4: timed out waiting for events.
import { readFileSync } from "node:fs";
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
  constructEventFilter,
} from "node-opcua-client";
import { OPCUACertificateManager } from "node-opcua-certificate-manager";

const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const num = (v) => (typeof v === "bigint" ? Number(v) : Array.isArray(v) ? Number(BigInt.asIntN(64, (BigInt(v[0]) << 32n) | BigInt(v[1]))) : v);

if (process.argv.length !== 3) {
  out({ type: "error", stage: "arguments", message: "usage: independent-client.mjs <config.json>" });
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));

const pki = new OPCUACertificateManager({ rootFolder: cfg.pkiDir, automaticallyAcceptUnknownCertificate: false });
await pki.initialize();
// Trust the server's certificate given by the operator (var/opcua/server.der), nothing else.
await pki.trustCertificate(readFileSync(cfg.serverCertificate));

const client = OPCUAClient.create({
  applicationName: "lineinspect-independent-client",
  applicationUri: cfg.applicationUri,
  securityMode: MessageSecurityMode.SignAndEncrypt,
  securityPolicy: SecurityPolicy.Basic256Sha256,
  certificateFile: cfg.certificateFile,
  privateKeyFile: cfg.privateKeyFile,
  clientCertificateManager: pki,
  endpointMustExist: false,
  connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
  requestedSessionTimeout: 20000,
});

let session;
try {
  await client.connect(cfg.endpoint);
} catch (e) {
  out({ type: "error", stage: "connect", message: String(e && e.message) });
  process.exit(3);
}
try {
  session = await client.createSession({ type: UserTokenType.UserName, userName: cfg.user, password: cfg.password });
} catch (e) {
  out({ type: "error", stage: "session", message: String(e && e.message) });
  await client.disconnect();
  process.exit(3);
}
out({ type: "session", securityPolicy: client.securityPolicy, securityMode: MessageSecurityMode[client.securityMode] });

const nsArray = (await session.read({ nodeId: "i=2255", attributeId: AttributeIds.Value })).value.value;
const li = nsArray.indexOf("urn:lineinspect:opcua");
const mv = nsArray.indexOf("http://opcfoundation.org/UA/MachineVision");
const node = (path) => `ns=${li};s=${path}`;
const read = async (path) => {
  const dv = await session.read({ nodeId: node(path), attributeId: AttributeIds.Value });
  if (!dv.statusCode.isGood()) throw new Error(`${path}: ${dv.statusCode.name}`);
  return dv.value.value;
};

out({
  type: "line",
  li,
  mv,
  state: (await read("VisionSystem/VisionStateMachine/CurrentState")).text,
  modelVersion: await read("VisionSystem/Line/ModelVersion"),
  isSimulated: await read("VisionSystem/Line/IsSimulated"),
});

const fields = [
  "EventType", "SourceName", "Severity",
  `${mv}:ResultId`, `${mv}:ResultState`, `${mv}:PartId`, `${mv}:IsSimulated`,
  `${li}:CameraId`, `${li}:Sequence`, `${li}:Verdict`, `${li}:Reason`, `${li}:ModelVersion`, `${li}:AuditHash`,
];
const subscription = ClientSubscription.create(session, {
  requestedPublishingInterval: 100,
  requestedLifetimeCount: 100,
  requestedMaxKeepAliveCount: 10,
  maxNotificationsPerPublish: 1000,
  publishingEnabled: true,
  priority: 1,
});
await new Promise((resolve, reject) => {
  subscription.once("started", resolve);
  subscription.once("internal_error", reject);
});
const events = [];
let resolveAll;
const allIn = new Promise((r) => (resolveAll = r));
const item = ClientMonitoredItem.create(
  subscription,
  { nodeId: "i=2253", attributeId: AttributeIds.EventNotifier },
  { samplingInterval: 0, discardOldest: false, queueSize: 1000, filter: constructEventFilter(fields) },
  TimestampsToReturn.Neither,
);
item.on("changed", (values) => {
  const e = { type: "event" };
  fields.forEach((f, i) => {
    const v = values[i].value;
    e[f.replace(/^\d+:/, "")] = f === "EventType" ? String(v) : typeof v === "bigint" || Array.isArray(v) ? num(v) : v;
  });
  events.push(e);
  out(e);
  if (events.length >= cfg.events) resolveAll();
});
await new Promise((resolve, reject) => {
  item.once("initialized", resolve);
  item.once("err", (m) => reject(new Error(String(m))));
});
out({ type: "ready" });

const timer = new Promise((r) => setTimeout(() => r("timeout"), cfg.timeoutMs));
const how = await Promise.race([allIn.then(() => "all"), timer]);
// Let a late extra event show up: the test checks there is exactly one per verdict.
await new Promise((r) => setTimeout(r, 300));

const cam = `VisionSystem/Cameras/${cfg.camera}`;
out({
  type: "camera",
  camera: cfg.camera,
  ok: num(await read(`${cam}/Ok`)),
  ng: num(await read(`${cam}/Ng`)),
  failSafe: num(await read(`${cam}/FailSafe`)),
  lastVerdict: await read(`${cam}/LastVerdict`),
  lastResultId: await read(`${cam}/LastResultId`),
  verdicts: num(await read("VisionSystem/Line/Verdicts")),
});
await subscription.terminate();
await session.close();
await client.disconnect();
out({ type: "done", events: events.length, waited: how });
process.exit(how === "all" ? 0 : 4);
