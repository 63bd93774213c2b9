// The official Microsoft Graph JavaScript SDK (@microsoft/microsoft-graph-client 3.x) against
// graph-emulator over HTTPS: proves the emulator speaks Graph the way Microsoft's own client
// expects (URLs, OData options, paging links, error bodies, 204s, subscriptions and
// notifications), with the SDK used as an application would use it: Client.init with an
// authProvider, no middleware of ours, PageIterator following the emulator's @odata.nextLink.
//
// Usage: node sdk_test.mjs [path/to/graph-emulator]
//   (default: $APPKEEPER_EMULATOR, else $APPKEEPER_BUILD_DIR/emulator/graph-emulator)
// Prints one "ok - ..." / "not ok - ..." line per check, then "N passed, M failed" as the last
// line; exits 0 only when nothing failed.
//
// How it runs: this process starts `graph-emulator --tls --tls-ca-out CA` and then runs the
// checks in a child node process whose only addition is NODE_EXTRA_CA_CERTS=CA (Node reads it
// at start-up, so it cannot be set from inside). Certificate verification stays on throughout.
//
// What the SDK (3.0.7) needs from a non-Microsoft host, found by reading its source:
//  1. AuthenticationHandler adds "Authorization" only for https URLs on a Graph host or on a host
//     in the documented `customHosts` client option (for any other URL it DELETES the header),
//     so Client.init gets customHosts: ["127.0.0.1"] (checked below: without it the emulator
//     answers 401). Over http no option helps: the SDK never authenticates http URLs.
//  2. GraphRequest.parsePath strips scheme, host and version from "https://" links only; the
//     emulator's nextLink is https, so PageIterator follows it unchanged.
//  3. Node >= 18 has a global fetch, which the SDK uses directly: no isomorphic-fetch needed.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { randomBytes, randomUUID } from "node:crypto";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { Client, PageIterator } from "@microsoft/microsoft-graph-client";

const TENANT = "11111111-1111-1111-1111-111111111111";
const CLIENT_ID = "22222222-2222-2222-2222-222222222222";
// The launcher makes the secret and hands it to the checks' process with the emulator's URL.
const CLIENT_SECRET =
  process.env.APPKEEPER_SDK_CLIENT_SECRET ?? "sdk-test-" + randomBytes(12).toString("hex");
const TEAMS = 137; // not a multiple of any plausible page size, so the last page is partial
const START_TIMEOUT_MS = 20000;
const NOTIFICATION_TIMEOUT_MS = 10000;

let passed = 0;
let failed = 0;
const context = {}; // what earlier checks found, for later ones

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    const detail = e && e.statusCode ? ` (HTTP ${e.statusCode} ${e.code ?? ""})` : "";
    console.log(`not ok - ${name}: ${e && e.message ? e.message : e}${detail}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function need(key) {
  if (context[key] === undefined) throw new Error(`skipped: an earlier check did not find ${key}`);
  return context[key];
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function emulatorBinary() {
  if (process.argv[2]) return process.argv[2];
  if (process.env.APPKEEPER_EMULATOR) return process.env.APPKEEPER_EMULATOR;
  if (process.env.APPKEEPER_BUILD_DIR) {
    return path.join(process.env.APPKEEPER_BUILD_DIR, "emulator", "graph-emulator");
  }
  throw new Error("give the graph-emulator path as argument, or set APPKEEPER_BUILD_DIR");
}

// Starts graph-emulator on port 0 with TLS; its first stdout line is
// "listening on https://127.0.0.1:N", and the CA clients must trust is then in `caFile`.
async function startEmulator(caFile) {
  const child = spawn(
    emulatorBinary(),
    ["--port", "0", "--teams", String(TEAMS), "--seed", "7", "--tenant", TENANT,
     "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
     "--tls", "--tls-ca-out", caFile],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    if (stderr.length < 20000) stderr += d;
  });
  const lines = createInterface({ input: child.stdout });
  const first = new Promise((resolve, reject) => {
    lines.once("line", resolve);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`graph-emulator exited with ${code}: ${stderr}`)));
  });
  const line = await withTimeout(first, START_TIMEOUT_MS, "graph-emulator start");
  const m = /^listening on (https:\/\/\S+)$/.exec(line);
  if (!m) throw new Error(`unexpected first line from graph-emulator: ${line}`);
  return { child, baseUrl: m[1].replace(/\/+$/, ""), stderr: () => stderr };
}

async function stopEmulator(emu) {
  if (!emu || emu.child.exitCode !== null) return;
  emu.child.kill("SIGTERM");
  try {
    await withTimeout(once(emu.child, "exit"), 5000, "graph-emulator stop");
  } catch {
    emu.child.kill("SIGKILL");
  }
}

async function getToken(baseUrl) {
  const res = await fetch(`${baseUrl}/${TENANT}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scope: "https://graph.microsoft.com/.default",
    }),
  });
  const body = await res.json();
  assert(res.status === 200, `token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  assert(typeof body.access_token === "string" && body.access_token.length > 0, "no access_token");
  assert(body.token_type === "Bearer", `token_type is ${body.token_type}`);
  return body.access_token;
}

async function control(baseUrl, method, pathAndQuery, body) {
  const res = await fetch(`${baseUrl}${pathAndQuery}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert(res.ok, `${method} ${pathAndQuery} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

// The SDK as an application would set it up; customHosts is the SDK's documented option for a
// Graph endpoint on a host of its own (see the header comment).
function makeClient(baseUrl, token, { withCustomHosts = true } = {}) {
  return Client.init({
    authProvider: (done) => done(null, token),
    baseUrl: `${baseUrl}/`,
    defaultVersion: "v1.0",
    ...(withCustomHosts ? { customHosts: new Set(["127.0.0.1"]) } : {}),
  });
}

// A GET that trusts only `ca` (PEM): whether the emulator's certificate passes verification.
function getTrusting(url, ca) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.setTimeout(10000, () => req.destroy(new Error("no answer within 10 s")));
  });
}

// Notifications still go to a plain-http receiver: the emulator allows http notification URLs on
// loopback (real Graph would insist on https), and this test has no certificate for one.
// A webhook receiver on 127.0.0.1:0: answers Graph's validation request with the decoded
// token (URLSearchParams decodes '+' and %xx like the form encoding Graph uses) and records
// notification bodies.
async function startReceiver() {
  const notifications = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const token = url.searchParams.get("validationToken");
      if (token !== null) {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(token);
        return;
      }
      res.writeHead(202);
      res.end();
      try {
        notifications.push(JSON.parse(body));
      } catch {
        notifications.push({ unparsable: body });
      }
      for (const w of waiters.splice(0)) w();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${server.address().port}/notify`;
  const waitFor = async (pred) => {
    const deadline = Date.now() + NOTIFICATION_TIMEOUT_MS;
    while (!notifications.some(pred)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching notification within ${NOTIFICATION_TIMEOUT_MS} ms`);
      await withTimeout(new Promise((r) => waiters.push(r)), left, "notification").catch(() => {});
    }
    return notifications.find(pred);
  };
  return { server, url, notifications, waitFor };
}

function compareVersions(a, b) {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function latestPublished(app) {
  return (app.appDefinitions ?? [])
    .filter((d) => d.publishingState === "published")
    .sort((x, y) => compareVersions(y.version, x.version))[0];
}

// The checks, in the process that has NODE_EXTRA_CA_CERTS; the launcher owns the emulator.
async function runChecks(base) {
  let receiver;
  try {
    const token = await getToken(base);
    const client = makeClient(base, token);

    await check("the emulator's certificate is verified: trusting only a public root refuses it", async () => {
      let error;
      try {
        await getTrusting(`${base}/_emulator/stats`, tls.rootCertificates[0]);
      } catch (e) {
        error = e;
      }
      assert(error, "a client that does not trust the emulator's CA got an answer");
      assert(/certificate/i.test(error.code ?? "") || /certificate/i.test(error.message),
             `expected a certificate error, got ${error.code ?? ""} ${error.message}`);
    });

    await check("Client.init without customHosts sends no token to a non-Graph host", async () => {
      const bare = makeClient(base, token, { withCustomHosts: false });
      let status = 0;
      try {
        await bare.api("/teams").top(1).get();
      } catch (e) {
        status = e.statusCode;
      }
      assert(status === 401, `expected 401 without a token, got ${status || "success"}`);
    });

    await check("lists organization apps with $filter and $expand=appDefinitions", async () => {
      const res = await client
        .api("/appCatalogs/teamsApps")
        .filter("distributionMethod eq 'organization'")
        .expand("appDefinitions")
        .get();
      assert(Array.isArray(res.value) && res.value.length > 0, "no apps");
      for (const app of res.value) {
        assert(app.distributionMethod === "organization", `${app.id} is ${app.distributionMethod}`);
        assert(Array.isArray(app.appDefinitions), `${app.id} has no appDefinitions`);
      }
      // An app whose latest definition needs no application RSC: app-only upgrades of RSC apps
      // are refused by default (Decision 3).
      const candidate = res.value.find((app) => {
        const def = latestPublished(app);
        const perms = def?.authorization?.requiredPermissionSet?.resourceSpecificPermissions ?? [];
        return def && !perms.some((p) => p.permissionType === "application");
      });
      assert(candidate, "no app without application RSC permissions");
      context.app = candidate;
    });

    await check(`pages through all ${TEAMS} teams with PageIterator`, async () => {
      const first = await client.api("/teams").get();
      assert(String(first["@odata.nextLink"]).startsWith(`${base}/v1.0/teams?`),
             `nextLink ${first["@odata.nextLink"]} is not an https link on ${base}`);
      let items = 0;
      const ids = new Set();
      const it = new PageIterator(client, first, (team) => {
        items++;
        ids.add(team.id);
        return true;
      });
      await it.iterate();
      assert(ids.size === TEAMS, `saw ${ids.size} distinct teams, seeded ${TEAMS}`);
      assert(items === TEAMS, `saw ${items} items for ${TEAMS} teams: a page came twice`);
      assert(first.value.length < TEAMS, "all teams came in one page: paging was not exercised");
      context.pages = Math.ceil(TEAMS / first.value.length);
    });

    await check("finds an installation with $filter=teamsApp/id eq and $expand", async () => {
      const app = need("app");
      const installs = await control(base, "GET", `/_emulator/installations?teamsAppId=${app.id}`);
      const list = Array.isArray(installs) ? installs : installs.value;
      assert(Array.isArray(list) && list.length > 0, `app ${app.id} is installed nowhere`);
      const teamId = list[0].teamId;
      assert(teamId, `no teamId in ${JSON.stringify(list[0])}`);
      const res = await client
        .api(`/teams/${teamId}/installedApps`)
        .expand("teamsApp,teamsAppDefinition")
        .filter(`teamsApp/id eq '${app.id}'`)
        .get();
      assert(res.value.length === 1, `expected one installation, got ${res.value.length}`);
      const inst = res.value[0];
      assert(inst.teamsApp?.id === app.id, `teamsApp.id is ${inst.teamsApp?.id}`);
      assert(inst.teamsAppDefinition?.version, "no teamsAppDefinition.version");
      context.teamId = teamId;
      context.installation = inst;
    });

    await check("creates a subscription on the app's installations (validation handshake)", async () => {
      const app = need("app");
      receiver = await startReceiver();
      const sub = await client.api("/subscriptions").post({
        changeType: "created,updated,deleted",
        resource: `/appCatalogs/teamsApps/${app.id}/installations?$filter=(scopeInfo/scope eq 'team')`,
        notificationUrl: receiver.url,
        expirationDateTime: new Date(Date.now() + 45 * 60 * 1000).toISOString(),
        clientState: "sdk-" + randomUUID(),
      });
      assert(/^[0-9a-f-]{36}$/.test(sub.id), `subscription id ${sub.id}`);
      const got = await client.api(`/subscriptions/${sub.id}`).get();
      assert(got.id === sub.id, "GET /subscriptions/{id} returned another subscription");
      context.subscription = sub;
    });

    await check("upgrades the installation with the definition's RSC as consent (204)", async () => {
      const app = need("app");
      const teamId = need("teamId");
      const inst = need("installation");
      const installed = inst.teamsAppDefinition.version;
      const readLatest = async () => {
        const catalog = await client
          .api("/appCatalogs/teamsApps")
          .filter(`id eq '${app.id}'`)
          .expand("appDefinitions")
          .get();
        assert(catalog.value.length === 1, `$filter=id eq found ${catalog.value.length} apps`);
        return latestPublished(catalog.value[0]);
      };
      let def = await readLatest();
      assert(def, "the app has no published definition");
      if (compareVersions(def.version, installed) <= 0) {
        // Already current: publish a newer version (no RSC) so there is something to upgrade to.
        const parts = def.version.split(".").map(Number);
        const next = `${parts[0]}.${(parts[1] ?? 0) + 1}.0`;
        await control(base, "POST", `/_emulator/apps/${app.id}/versions`, {
          version: next,
          resourceSpecificPermissions: [],
        });
        def = await readLatest();
        assert(def && def.version === next, `latest published is ${def?.version}, expected ${next}`);
      }
      const next = def.version;
      const perms = def.authorization?.requiredPermissionSet?.resourceSpecificPermissions ?? [];
      const res = await client
        .api(`/teams/${teamId}/installedApps/${inst.id}/upgrade`)
        .post({ consentedPermissionSet: { resourceSpecificPermissions: perms } });
      assert(res === undefined || res === null || res === "", `unexpected body ${JSON.stringify(res)}`);
      context.upgradedTo = next;
    });

    await check("the emulator recorded exactly one upgrade of that installation", async () => {
      const app = need("app");
      const inst = need("installation");
      const next = need("upgradedTo");
      const installs = await control(base, "GET", `/_emulator/installations?teamsAppId=${app.id}`);
      const list = Array.isArray(installs) ? installs : installs.value;
      const mine = list.find((i) => (i.id ?? i.installationId) === inst.id);
      assert(mine, `installation ${inst.id} not in /_emulator/installations`);
      assert(mine.upgrades === 1, `upgrades is ${mine.upgrades}`);
      assert(mine.version === next, `version is ${mine.version}, expected ${next}`);
    });

    await check("the subscription received an 'updated' notification for the upgrade", async () => {
      const sub = need("subscription");
      const inst = need("installation");
      const found = await receiver.waitFor((body) =>
        (body.value ?? []).some((n) => n.subscriptionId === sub.id && n.changeType === "updated"),
      );
      const n = found.value.find((x) => x.subscriptionId === sub.id);
      assert(n.clientState === sub.clientState, "clientState does not match the subscription");
      assert(n.tenantId === TENANT, `tenantId ${n.tenantId}`);
      assert(n.resourceData?.id === inst.id, `resourceData.id ${n.resourceData?.id}`);
    });

    await check("deletes the subscription (204)", async () => {
      const sub = need("subscription");
      await client.api(`/subscriptions/${sub.id}`).delete();
      let status = 0;
      try {
        await client.api(`/subscriptions/${sub.id}`).get();
      } catch (e) {
        status = e.statusCode;
      }
      assert(status === 404, `GET after DELETE answered ${status || "200"}`);
    });

    await check("a Graph error surfaces as GraphError with Graph's code", async () => {
      let err;
      try {
        await client.api("/teams/00000000-0000-0000-0000-000000000000/installedApps").get();
      } catch (e) {
        err = e;
      }
      assert(err, "no error for an unknown team");
      assert(err.statusCode === 404, `statusCode ${err.statusCode}`);
      assert(typeof err.code === "string" && err.code.length > 0, "GraphError.code is empty");
      assert(err.requestId, "GraphError.requestId is empty (innerError.request-id)");
    });
  } catch (e) {
    failed++;
    console.log(`not ok - setup: ${e.message}`);
  } finally {
    if (receiver) receiver.server.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

// Starts the emulator, then this script again as the checks' process with only
// NODE_EXTRA_CA_CERTS (and the emulator's URL and secret) added to its environment.
async function launch() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "appkeeper-sdk-"));
  let emu;
  try {
    emu = await startEmulator(path.join(dir, "emulator-ca.pem"));
    const checks = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      stdio: "inherit",
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: path.join(dir, "emulator-ca.pem"),
        APPKEEPER_SDK_EMULATOR_URL: emu.baseUrl,
        APPKEEPER_SDK_CLIENT_SECRET: CLIENT_SECRET,
      },
    });
    const [code] = await once(checks, "exit");
    if (code !== 0) console.log(`# graph-emulator stderr:\n${emu.stderr()}`);
    return code ?? 1;
  } catch (e) {
    console.log(`not ok - setup: ${e.message}`);
    if (emu) console.log(emu.stderr());
    console.log("0 passed, 1 failed");
    return 1;
  } finally {
    await stopEmulator(emu);
    rmSync(dir, { recursive: true, force: true });
  }
}

const url = process.env.APPKEEPER_SDK_EMULATOR_URL;
process.exitCode = url ? await runChecks(url) : await launch();
