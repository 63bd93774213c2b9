// The official Microsoft Graph JavaScript SDK (@microsoft/microsoft-graph-client 3.x) against
// graph-emulator: proves the emulator speaks Graph the way Microsoft's own client expects
// (URLs, OData options, paging links, error bodies, 204s, subscriptions and notifications).
//
// Usage: node sdk_test.mjs [path/to/graph-emulator]
//   (default: $APPKEEPER_EMULATOR, else $APPKEEPER_BUILD_DIR/emulator/graph-emulator)
// Prints one "ok - ..." / "not ok - ..." line per check, then "N passed, M failed" as the last
// line; exits 0 only when nothing failed.
//
// What an http:// emulator needs from the SDK (3.0.7), found by reading its source:
//  1. AuthenticationHandler only adds "Authorization" when isGraphURL(url) or isCustomHost(url),
//     and both accept "https://" URLs only (GraphRequestUtil.isValidEndpoint); for any other URL
//     it DELETES the header. `customHosts` cannot help over http. So Client.init({authProvider})
//     sends no token to http://127.0.0.1 (checked below: the emulator answers 401), and we use
//     Client.initWithMiddleware with our own chain whose first handler always sets the header:
//       BearerAlways -> RetryHandler -> RedirectHandler -> HTTPMessageHandler
//     (TelemetryHandler is left out: it only decorates graph.microsoft.com requests).
//  2. GraphRequest.parsePath only strips the host from "https://" links; an http @odata.nextLink
//     passed to client.api() is glued onto baseUrl as if it were a relative path. PageIterator
//     calls client.api(nextLink), so we hand it a thin client whose api() turns the emulator's
//     absolute link back into a path relative to baseUrl + version. Nothing else is patched.
//  3. Node >= 18 has a global fetch, which the SDK uses directly: no isomorphic-fetch needed.
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import path from "node:path";
import { createInterface } from "node:readline";
import { randomBytes, randomUUID } from "node:crypto";
import {
  Client,
  HTTPMessageHandler,
  PageIterator,
  RedirectHandler,
  RetryHandler,
  RetryHandlerOptions,
} from "@microsoft/microsoft-graph-client";

const TENANT = "11111111-1111-1111-1111-111111111111";
const CLIENT_ID = "22222222-2222-2222-2222-222222222222";
const CLIENT_SECRET = "sdk-test-" + randomBytes(12).toString("hex");
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

// Starts graph-emulator on port 0; its first stdout line is "listening on http://127.0.0.1:N".
async function startEmulator() {
  const child = spawn(
    emulatorBinary(),
    ["--port", "0", "--teams", String(TEAMS), "--seed", "7", "--tenant", TENANT,
     "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET],
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
  const m = /^listening on (http:\/\/\S+)$/.exec(line);
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

// The SDK's AuthenticationHandler drops the token for non-https hosts (see the header comment);
// this one always sets it.
class BearerAlways {
  constructor(getToken) {
    this.getToken = getToken;
  }
  async execute(ctx) {
    const value = `Bearer ${await this.getToken()}`;
    const opts = ctx.options;
    if (opts.headers === undefined) {
      opts.headers = { Authorization: value };
    } else if (typeof Headers !== "undefined" && opts.headers instanceof Headers) {
      opts.headers.set("Authorization", value);
    } else if (Array.isArray(opts.headers)) {
      opts.headers = opts.headers.filter(([k]) => k.toLowerCase() !== "authorization");
      opts.headers.push(["Authorization", value]);
    } else {
      opts.headers.Authorization = value;
    }
    return this.nextMiddleware.execute(ctx);
  }
  setNext(next) {
    this.nextMiddleware = next;
  }
}

function makeClient(baseUrl, token) {
  return Client.initWithMiddleware({
    middleware: [
      new BearerAlways(async () => token),
      new RetryHandler(new RetryHandlerOptions()),
      new RedirectHandler(),
      new HTTPMessageHandler(),
    ],
    baseUrl: `${baseUrl}/`,
    defaultVersion: "v1.0",
  });
}

// PageIterator calls client.api(nextLink); the SDK only understands https links, so map the
// emulator's absolute http link to a path relative to baseUrl + version.
function pagingClient(client, baseUrl) {
  const prefix = `${baseUrl}/v1.0/`;
  return {
    api(link) {
      const rel = link.startsWith(prefix) ? link.slice(prefix.length) : link;
      return client.api(rel);
    },
  };
}

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

async function main() {
  let emu;
  let receiver;
  try {
    emu = await startEmulator();
    const base = emu.baseUrl;
    const token = await getToken(base);
    const client = makeClient(base, token);

    await check("Client.init over http sends no token (the SDK limits auth to https hosts)", async () => {
      const plain = Client.init({
        authProvider: (done) => done(null, token),
        baseUrl: `${base}/`,
        defaultVersion: "v1.0",
      });
      let status = 0;
      try {
        await plain.api("/teams").top(1).get();
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
      let pages = 1;
      const ids = new Set();
      const pager = pagingClient(client, base);
      const originalApi = pager.api.bind(pager);
      pager.api = (link) => {
        pages++;
        return originalApi(link);
      };
      const it = new PageIterator(pager, first, (team) => {
        ids.add(team.id);
        return true;
      });
      await it.iterate();
      assert(ids.size === TEAMS, `saw ${ids.size} distinct teams, seeded ${TEAMS}`);
      assert(pages > 1, "all teams came in one page: paging was not exercised");
      context.pages = pages;
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
    if (emu) console.log(emu.stderr());
  } finally {
    if (receiver) receiver.server.close();
    await stopEmulator(emu);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}

await main();
