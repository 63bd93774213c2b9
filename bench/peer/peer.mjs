// The script a Teams admin would write instead of running appkeeper: the official Microsoft Graph
// JavaScript SDK (@microsoft/microsoft-graph-client 3.x) with its default middleware (RetryHandler:
// 3 retries, honours Retry-After; no tuning), used the way its README shows. It lists the teams,
// finds the app's installation in each, reads the app's RSC set once, and upgrades every
// installation below the latest published version. bench/fanout_bench runs it against the same
// emulator as appkeeper, once sequentially and once with bounded concurrency.
//
// Usage: node peer.mjs --base https://127.0.0.1:PORT --tenant T --client-id C --secret-file F
//                      --app TEAMS_APP_ID [--concurrency N]   (1 = sequential, the default)
//   NODE_EXTRA_CA_CERTS must name the emulator's CA (the SDK verifies TLS as in production).
// Prints one JSON line: {"mode","concurrency","teams","found","upgraded","failed","wallMs",
// "firstError"}. "failed" are upgrades (or team reads) that still failed after the SDK's retries:
// the installations an admin would have to chase by hand. Exits 0 even when some failed.
import { readFileSync } from "node:fs";
import { Client, PageIterator } from "@microsoft/microsoft-graph-client";

function args() {
  const out = { concurrency: 1 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    out[key.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = argv[i + 1];
  }
  for (const k of ["base", "tenant", "clientId", "secretFile", "app"]) {
    if (!out[k]) throw new Error(`missing --${k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`);
  }
  out.concurrency = Math.max(1, Number(out.concurrency));
  return out;
}

async function appOnlyToken(o) {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: o.clientId,
    client_secret: readFileSync(o.secretFile, "utf8").trim(),
    scope: "https://graph.microsoft.com/.default",
  });
  const res = await fetch(`${o.base}/${o.tenant}/oauth2/v2.0/token`, { method: "POST", body: form });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
  return (await res.json()).access_token;
}

function newer(a, b) {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return false;
}

async function main() {
  const o = args();
  const token = await appOnlyToken(o);
  const client = Client.init({
    authProvider: (done) => done(null, token),
    baseUrl: `${o.base}/`,
    defaultVersion: "v1.0",
    customHosts: new Set(["127.0.0.1"]),
  });
  const started = Date.now();
  const stats = { teams: 0, found: 0, upgraded: 0, failed: 0, firstError: "" };
  const fail = (what, e) => {
    stats.failed++;
    if (!stats.firstError) stats.firstError = `${what}: ${e.statusCode ?? ""} ${e.code ?? e.message}`;
  };

  // The app and its latest published definition: target version and RSC set, read once.
  const apps = await client
    .api("/appCatalogs/teamsApps")
    .filter(`id eq '${o.app}'`)
    .expand("appDefinitions")
    .get();
  const defs = (apps.value[0]?.appDefinitions ?? []).filter((d) => d.publishingState === "published");
  const latest = defs.reduce((best, d) => (!best || newer(d.version, best.version) ? d : best), null);
  if (!latest) throw new Error(`app ${o.app} has no published version`);
  const rsc = latest.authorization?.requiredPermissionSet?.resourceSpecificPermissions ?? [];
  const needsConsent = rsc.some((p) => p.permissionType === "application");
  const body = needsConsent ? { consentedPermissionSet: { resourceSpecificPermissions: rsc } } : {};

  // Every team (PageIterator follows @odata.nextLink).
  const teamIds = [];
  const first = await client.api("/teams").select("id").get();
  await new PageIterator(client, first, (t) => {
    teamIds.push(t.id);
    return true;
  }).iterate();
  stats.teams = teamIds.length;

  async function upgradeTeam(teamId) {
    let installed;
    try {
      installed = await client
        .api(`/teams/${teamId}/installedApps`)
        .expand("teamsApp,teamsAppDefinition")
        .filter(`teamsApp/id eq '${o.app}'`)
        .get();
    } catch (e) {
      return fail(`team ${teamId}`, e);
    }
    for (const inst of installed.value) {
      stats.found++;
      if (!newer(latest.version, inst.teamsAppDefinition?.version ?? "0")) continue;
      try {
        await client
          .api(`/teams/${teamId}/installedApps/${encodeURIComponent(inst.id)}/upgrade`)
          .post(body);
        stats.upgraded++;
      } catch (e) {
        fail(`upgrade in team ${teamId}`, e);
      }
    }
  }

  // Bounded concurrency the usual way: N async loops taking the next team.
  let next = 0;
  const loops = Array.from({ length: o.concurrency }, async () => {
    while (next < teamIds.length) await upgradeTeam(teamIds[next++]);
  });
  await Promise.all(loops);
  console.log(
    JSON.stringify({
      mode: o.concurrency === 1 ? "sequential" : "concurrent",
      concurrency: o.concurrency,
      ...stats,
      wallMs: Date.now() - started,
    }),
  );
}

main().catch((e) => {
  console.error(`peer.mjs: ${e.stack ?? e}`);
  process.exit(1);
});
