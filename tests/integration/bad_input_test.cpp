// Issue 5, hostile input: a table of bad inbound requests thrown at a real `appkeeper serve`
// (emulator over TLS behind it). Every row states the exact status and body the daemon must
// answer; for every row the test also proves that nothing was enqueued (no inbox row, no job in
// the store) and that the request was counted (appkeeper_inbound_requests_total{endpoint,code}
// moved by one) and, where the handler audits rejections, that exactly the expected audit records
// were written. Positive controls at the start and the end show the same counters do move for a
// valid event and a valid notification, so an unchanged count means something.
#include <SQLiteCpp/SQLiteCpp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "integration/harness.h"
#include "integration/rollout_checks.h"

using namespace appkeeper::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTenant = "11111111-1111-1111-1111-111111111111";
constexpr size_t kBodyCap = 1 << 20;  // InboundServerOptions::maxBodyBytes default

// The JSON error shape of handlers/responses.h, written out by hand so the comparison is on
// bytes, not on a re-serialisation by the same library the daemon uses.
std::string errorBody(const std::string& code, const std::string& message) {
  return R"({"error":{"code":")" + code + R"(","message":")" + message + R"("}})";
}

struct BadRequest {
  std::string name;
  std::string method;
  std::string target;  // path and query, sent as written
  std::map<std::string, std::string> headers;
  std::string body;
  int status;
  std::string errorCode;  // "" when the answer is not a JSON error
  std::string message;    // the exact error message (or, without errorCode, the exact body)
  // Audit records with event catalog-event / graph-notification / graph-lifecycle it must add,
  // and the outcome each has. 0: the request is refused before a handler runs, counted only.
  int audits = 0;
  std::string auditOutcome = "rejected";
  std::map<std::string, std::string> expectHeaders = {};   // exact values (names lower-case)
  std::vector<std::string> forbiddenHeaders = {};          // must not be in the answer
};

std::string endpointOf(const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  for (const char* route : {"/graph/notifications", "/graph/lifecycle", "/events/catalog",
                            "/healthz", "/readyz", "/metrics"}) {
    if (path == route) return route;
  }
  return "other";
}

double counter(const std::string& metrics, const std::string& endpoint, int code) {
  const std::string series = "appkeeper_inbound_requests_total{endpoint=\"" + endpoint +
                             "\",code=\"" + std::to_string(code) + "\"} ";
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series, 0) == 0) return std::stod(line.substr(series.size()));
  }
  return 0;
}

std::string scrape(const DaemonProcess& daemon) {
  auto r = httpCall("GET", daemon.url() + "/metrics");
  REQUIRE(r.status == 200);
  return r.body;
}

// What the store holds, read through a second (read-only) connection while the daemon runs.
struct StoreCounts {
  int64_t jobs = 0;
  int64_t inbox = 0;
  int64_t inboundAudits = 0;
  bool operator==(const StoreCounts& o) const {
    return jobs == o.jobs && inbox == o.inbox && inboundAudits == o.inboundAudits;
  }
};

StoreCounts counts(const DaemonProcess& daemon) {
  SQLite::Database db(daemon.dbPath(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  StoreCounts c;
  c.jobs = db.execAndGet("SELECT COUNT(*) FROM jobs").getInt64();
  c.inbox = db.execAndGet("SELECT COUNT(*) FROM inbox").getInt64();
  c.inboundAudits = db.execAndGet(
                         "SELECT COUNT(*) FROM audit WHERE event IN "
                         "('catalog-event', 'graph-notification', 'graph-lifecycle')")
                        .getInt64();
  return c;
}

std::vector<std::string> newAuditOutcomes(const DaemonProcess& daemon, int64_t after) {
  SQLite::Database db(daemon.dbPath(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db,
                      "SELECT outcome FROM audit WHERE event IN ('catalog-event', "
                      "'graph-notification', 'graph-lifecycle') ORDER BY id LIMIT -1 OFFSET ?");
  q.bind(1, after);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

// The daemon is idle: every inbox item planned and every job finished.
bool idle(const DaemonProcess& daemon) {
  SQLite::Database db(daemon.dbPath(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  return db.execAndGet("SELECT COUNT(*) FROM inbox WHERE state != 'done'").getInt64() == 0 &&
         db.execAndGet("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
                 .getInt64() == 0;
}

struct Subscription {
  std::string id;
  std::string clientState;
};

std::optional<Subscription> storedSubscription(const DaemonProcess& daemon) {
  SQLite::Database db(daemon.dbPath(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db,
                      "SELECT id, client_state FROM subscriptions WHERE id NOT LIKE 'pending:%'");
  if (!q.executeStep()) return std::nullopt;
  return Subscription{q.getColumn(0).getString(), q.getColumn(1).getString()};
}

std::string unixNow(std::chrono::seconds offset = 0s) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            (std::chrono::system_clock::now() + offset).time_since_epoch())
                            .count());
}

std::string readSecret(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

// Headers of a delivery signed with `secret` at now+offset.
std::map<std::string, std::string> signedHeaders(const std::string& secret, const std::string& id,
                                                 const std::string& body,
                                                 std::chrono::seconds offset = 0s) {
  const std::string ts = unixNow(offset);
  return {{"Content-Type", "application/json"},
          {"webhook-id", id},
          {"webhook-timestamp", ts},
          {"webhook-signature", signWebhook(secret, id, ts, body)}};
}

std::string publishEvent(const std::string& app, const std::string& version,
                         const std::string& tenant = kTenant) {
  return R"({"type":"teamsApp.published","timestamp":"2026-11-29T10:00:00Z","data":{"tenantId":")" +
         tenant + R"(","teamsAppId":")" + app + R"(","version":")" + version + R"("}})";
}

std::string notification(const Subscription& sub, const std::string& clientState,
                         const std::string& app, const std::string& extra = "") {
  return R"({"value":[{"subscriptionId":")" + sub.id + R"(","clientState":")" + clientState +
         R"(","changeType":"updated","tenantId":")" + std::string(kTenant) +
         R"(","resource":"appCatalogs/teamsApps(')" + app + R"j(')/installations('x')")j" + extra +
         "}]}";
}

std::string deepArray(size_t depth, bool closed) {
  return std::string(depth, '[') + (closed ? std::string(depth, ']') : std::string());
}

// Sends `raw` bytes as they are (no HTTP client would send a request line holding ESC) and
// returns everything the server answered until it closed (bounded by a 5 s receive timeout).
std::string rawExchange(int port, const std::string& raw) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, raw.data(), raw.size(), 0) == static_cast<ssize_t>(raw.size())) {
    char buf[4096];
    for (int reads = 0; reads < 64; ++reads) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      answer.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

std::vector<BadRequest> table(const std::string& secret, const Subscription& sub,
                              const std::string& app, const std::string& primeBody) {
  const std::string otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";  // not the daemon's
  const std::string event = publishEvent(app, "9.0.1");
  const std::string json = "application/json";
  const std::string bad = "badRequest";
  const std::string unauthorized = "unauthorized";
  auto sig = [&](const std::string& id, const std::string& body, std::chrono::seconds off = 0s) {
    return signedHeaders(secret, id, body, off);
  };
  auto without = [](std::map<std::string, std::string> h, const std::string& name) {
    h.erase(name);
    return h;
  };
  auto with = [](std::map<std::string, std::string> h, const std::string& name,
                 const std::string& value) {
    h[name] = value;
    return h;
  };
  const std::string invalidUtf8Event =
      R"({"type":"teamsApp.published","timestamp":"2026-11-29T10:00:00Z","data":{"tenantId":")" +
      std::string(kTenant) + R"(","teamsAppId":"app-)" + "\xff\xfe" + R"(","version":"9.0.1"}})";
  const std::string wrongClientState = notification(sub, "not-the-client-state", app);
  const std::string numericVersion =
      R"({"type":"teamsApp.published","timestamp":"2026-11-29T10:00:00Z","data":{"tenantId":")" +
      std::string(kTenant) + R"(","teamsAppId":")" + app + R"(","version":901}})";
  const std::string huge(kBodyCap + 1, ' ');

  return {
      // --- routing: path, method, size, media type (counted, refused before any handler) ---
      {"unknown path", "GET", "/wp-login.php", {}, "", 404, "notFound", "no such endpoint"},
      {"unknown path with a body", "POST", "/events/catalog/../admin", {}, event, 404, "notFound",
       "no such endpoint"},
      {"wrong method on notifications", "GET", "/graph/notifications", {}, "", 405,
       "methodNotAllowed", "use POST on this endpoint", 0, "", {{"allow", "POST"}}},
      {"wrong method on catalog events", "PUT", "/events/catalog", {}, event, 405,
       "methodNotAllowed", "use POST on this endpoint", 0, "", {{"allow", "POST"}}},
      {"wrong method on healthz", "DELETE", "/healthz", {}, "", 405, "methodNotAllowed",
       "use GET on this endpoint", 0, "", {{"allow", "GET"}}},
      {"huge body to notifications", "POST", "/graph/notifications", {{"Content-Type", json}},
       huge, 413, "payloadTooLarge", "the request body is too large"},
      {"huge body to catalog events", "POST", "/events/catalog", sig("msg_huge", huge), huge, 413,
       "payloadTooLarge", "the request body is too large"},
      {"text/plain notification", "POST", "/graph/notifications", {{"Content-Type", "text/plain"}},
       wrongClientState, 415, "unsupportedMediaType", "the body must be application/json"},
      {"form-encoded catalog event", "POST", "/events/catalog",
       with(sig("msg_form", event), "Content-Type", "application/x-www-form-urlencoded"), event,
       415, "unsupportedMediaType", "the body must be application/json"},
      {"json with a latin-1 charset", "POST", "/events/catalog",
       with(sig("msg_latin1", event), "Content-Type", "application/json; charset=iso-8859-1"),
       event, 415, "unsupportedMediaType", "the body must be application/json"},
      {"no content type", "POST", "/graph/lifecycle", {{"Content-Type", ""}}, "", 415,
       "unsupportedMediaType", "the body must be application/json"},

      // --- Graph notifications: body shape (400, nothing stored) ---
      {"notification: invalid JSON", "POST", "/graph/notifications", {}, R"({"value":[)", 400,
       bad, "body is not valid JSON"},
      {"notification: empty body", "POST", "/graph/notifications", {{"Content-Type", json}}, "",
       400, bad, "body is not valid JSON"},
      {"notification: not an object", "POST", "/graph/notifications", {}, "[]", 400, bad,
       "body is not a JSON object"},
      {"notification: value missing", "POST", "/graph/notifications", {}, "{}", 400, bad,
       "value is missing or not an array"},
      {"notification: value of the wrong type", "POST", "/graph/notifications", {},
       R"({"value":{"subscriptionId":"x"}})", 400, bad, "value is missing or not an array"},
      {"notification: item of the wrong type", "POST", "/graph/notifications", {},
       R"({"value":[{},"x"]})", 400, bad, "value[1] is not an object"},
      {"notification: invalid UTF-8", "POST", "/graph/notifications", {},
       R"({"value":[{"subscriptionId":")" + std::string("\xc3\x28") + R"("}]})", 400, bad,
       "body is not valid JSON"},
      {"notification: 100k unclosed '['", "POST", "/graph/notifications", {},
       deepArray(100'000, false), 400, bad, "body is not valid JSON"},
      {"notification: 100k nested arrays", "POST", "/graph/notifications", {},
       deepArray(100'000, true), 400, bad, "body is nested deeper than 64 levels"},
      // With the right clientState this item was copied and serialised recursively: the daemon
      // died of a stack overflow (SIGSEGV) before parseNotificationBatch limited the depth.
      {"notification: right clientState, 100k-deep field", "POST", "/graph/notifications", {},
       notification(sub, sub.clientState, app, R"(,"x":)" + deepArray(100'000, true)), 400, bad,
       "body is nested deeper than 64 levels"},
      {"lifecycle: invalid JSON", "POST", "/graph/lifecycle", {}, "{\"value\":[{]}", 400, bad,
       "body is not valid JSON"},

      // --- Graph notifications: clientState (202 so Graph does not retry; audited rejected) ---
      {"notification: wrong clientState", "POST", "/graph/notifications", {}, wrongClientState,
       202, "", "", 1},
      {"notification: clientState one character off", "POST", "/graph/notifications", {},
       notification(sub, sub.clientState.substr(0, sub.clientState.size() - 1) + "#", app), 202,
       "", "", 1},
      {"notification: clientState missing", "POST", "/graph/notifications", {},
       R"({"value":[{"subscriptionId":")" + sub.id + R"(","changeType":"updated"}]})", 202, "", "",
       1},
      {"notification: clientState a number", "POST", "/graph/notifications", {},
       R"({"value":[{"subscriptionId":")" + sub.id + R"(","clientState":12345}]})", 202, "", "",
       1},
      {"notification: unknown subscription", "POST", "/graph/notifications", {},
       R"({"value":[{"subscriptionId":"00000000-dead-beef-0000-000000000000","clientState":"x"}]})",
       202, "", "", 1},
      {"notification: subscriptionId missing", "POST", "/graph/notifications", {},
       R"({"value":[{"clientState":"x"}]})", 202, "", "", 1},
      {"notification: wrong clientState, 3 items", "POST", "/graph/notifications", {},
       R"({"value":[{"subscriptionId":")" + sub.id + R"(","clientState":"a"},{"subscriptionId":")" +
           sub.id + R"(","clientState":"b"},{"subscriptionId":")" + sub.id +
           R"(","clientState":"c"}]})",
       202, "", "", 3},
      {"notification: wrong clientState, 50k-deep field", "POST", "/graph/notifications", {},
       notification(sub, "wrong", app, R"(,"x":)" + deepArray(50'000, true)), 400, bad,
       "body is nested deeper than 64 levels"},
      {"lifecycle: wrong clientState", "POST", "/graph/lifecycle", {},
       R"({"value":[{"subscriptionId":")" + sub.id +
           R"(","clientState":"wrong","lifecycleEvent":"subscriptionRemoved"}]})",
       202, "", "", 1},

      // --- the validation handshake: opaque token echoed as inert text ---
      {"validationToken holding markup", "POST",
       "/graph/notifications?validationToken=%3Cscript%3Ealert(1)%3C%2Fscript%3E%26%22%27",
       {{"Content-Type", "text/plain"}}, "", 200, "", "<script>alert(1)</script>&\"'", 0, "",
       {{"content-type", "text/plain; charset=utf-8"}, {"x-content-type-options", "nosniff"}}},
      {"validationToken with CR LF (header injection)", "POST",
       "/graph/lifecycle?validationToken=ok%0d%0aSet-Cookie:%20stolen=1%0d%0a%0d%0a<html>", {}, "",
       200, "", "ok\r\nSet-Cookie: stolen=1\r\n\r\n<html>", 0, "",
       {{"content-type", "text/plain; charset=utf-8"}, {"x-content-type-options", "nosniff"}},
       {"set-cookie"}},
      {"validationToken empty", "POST", "/graph/notifications?validationToken=", {}, "", 400, bad,
       "validationToken is empty"},
      {"validationToken over 1024 bytes", "POST",
       "/graph/notifications?validationToken=" + std::string(1025, 'a'), {}, "", 400, bad,
       "validationToken is longer than 1024 bytes"},
      {"CR LF in the path (header injection)", "GET",
       "/healthz%0d%0aSet-Cookie:%20stolen=1", {}, "", 404, "notFound", "no such endpoint", 0, "",
       {}, {"set-cookie"}},

      // --- catalog events: Standard Webhooks signature (401, audited rejected) ---
      {"event: no signature headers at all", "POST", "/events/catalog", {{"Content-Type", json}},
       event, 401, unauthorized, "missing webhook-id header", 1},
      {"event: webhook-timestamp missing", "POST", "/events/catalog",
       without(sig("msg_nots", event), "webhook-timestamp"), event, 401, unauthorized,
       "missing webhook-timestamp header", 1},
      {"event: webhook-signature missing", "POST", "/events/catalog",
       without(sig("msg_nosig", event), "webhook-signature"), event, 401, unauthorized,
       "missing webhook-signature header", 1},
      {"event: signed with another secret", "POST", "/events/catalog",
       signedHeaders(otherSecret, "msg_other", event), event, 401, unauthorized,
       "no signature matched", 1},
      {"event: body changed after signing", "POST", "/events/catalog",
       sig("msg_tamper", publishEvent(app, "9.0.2")), event, 401, unauthorized,
       "no signature matched", 1},
      {"event: signature not base64", "POST", "/events/catalog",
       with(sig("msg_b64", event), "webhook-signature", "v1,!!!not-base64!!!"), event, 401,
       unauthorized, "no signature matched", 1},
      {"event: only a v2 signature", "POST", "/events/catalog",
       with(sig("msg_v2", event), "webhook-signature",
            "v2," + sig("msg_v2", event)["webhook-signature"].substr(3)),
       event, 401, unauthorized, "no signature matched", 1},
      {"event: signature for another webhook-id", "POST", "/events/catalog",
       with(sig("msg_a", event), "webhook-id", "msg_b"), event, 401, unauthorized,
       "no signature matched", 1},
      {"event: stale timestamp (now - 10 min)", "POST", "/events/catalog",
       sig("msg_stale", event, -600s), event, 401, unauthorized,
       "timestamp outside the 5-minute tolerance", 1},
      {"event: future timestamp (now + 10 min)", "POST", "/events/catalog",
       sig("msg_future", event, 600s), event, 401, unauthorized,
       "timestamp outside the 5-minute tolerance", 1},
      {"event: timestamp in milliseconds", "POST", "/events/catalog",
       with(sig("msg_ms", event), "webhook-timestamp", unixNow() + "000"), event, 401,
       unauthorized, "invalid webhook-timestamp header", 1},
      {"event: timestamp not a number", "POST", "/events/catalog",
       with(sig("msg_nan", event), "webhook-timestamp", "yesterday"), event, 401, unauthorized,
       "invalid webhook-timestamp header", 1},
      {"event: webhook-id over 256 bytes", "POST", "/events/catalog",
       sig(std::string(257, 'i'), event), event, 401, unauthorized, "invalid webhook-id header",
       1},

      // --- catalog events: signed but malformed (400, audited rejected) ---
      {"event: invalid JSON", "POST", "/events/catalog", sig("msg_json", "{\"type\":"),
       "{\"type\":", 400, bad, "body is not valid JSON", 1},
      {"event: invalid UTF-8", "POST", "/events/catalog", sig("msg_utf8", invalidUtf8Event),
       invalidUtf8Event, 400, bad, "body is not valid JSON", 1},
      {"event: 100k unclosed '['", "POST", "/events/catalog",
       sig("msg_deep", deepArray(100'000, false)), deepArray(100'000, false), 400, bad,
       "body is not valid JSON", 1},
      {"event: 100k nested arrays", "POST", "/events/catalog",
       sig("msg_deep2", deepArray(100'000, true)), deepArray(100'000, true), 400, bad,
       "body is not a JSON object", 1},
      {"event: type missing", "POST", "/events/catalog", sig("msg_notype", R"({"data":{}})"),
       R"({"data":{}})", 400, bad, "type is missing or not a string", 1},
      {"event: unsupported type holding markup", "POST", "/events/catalog",
       sig("msg_type", R"({"type":"<img src=x onerror=alert(1)>"})"),
       R"({"type":"<img src=x onerror=alert(1)>"})", 400, bad,
       "unsupported event type: <img src=x onerror=alert(1)> (only teamsApp.published is "
       "handled)",
       1},
      {"event: data missing", "POST", "/events/catalog",
       sig("msg_nodata", R"({"type":"teamsApp.published","timestamp":"2026-11-29T10:00:00Z"})"),
       R"({"type":"teamsApp.published","timestamp":"2026-11-29T10:00:00Z"})", 400, bad,
       "data is missing or not an object", 1},
      {"event: version of the wrong type", "POST", "/events/catalog",
       sig("msg_vtype", numericVersion), numericVersion, 400, bad,
       "data.version is missing or not a string", 1},
      {"event: version not a version", "POST", "/events/catalog",
       sig("msg_vbad", publishEvent(app, "9.0.1; rm -rf /")), publishEvent(app, "9.0.1; rm -rf /"),
       400, bad, "data.version is not a valid version: 9.0.1; rm -rf /", 1},
      {"event: another tenant", "POST", "/events/catalog",
       sig("msg_tenant", publishEvent(app, "9.0.1", "99999999-9999-9999-9999-999999999999")),
       publishEvent(app, "9.0.1", "99999999-9999-9999-9999-999999999999"), 400, bad,
       "data.tenantId is not the tenant this server manages", 1},
      {"event: timestamp not RFC 3339", "POST", "/events/catalog",
       sig("msg_rfc", R"({"type":"teamsApp.published","timestamp":"2026-02-30T10:00:00Z"})"),
       R"({"type":"teamsApp.published","timestamp":"2026-02-30T10:00:00Z"})", 400, bad,
       "timestamp is not an RFC 3339 date-time: 2026-02-30T10:00:00Z", 1},

      // --- replay: the same webhook-id again, freshly signed: acknowledged, not acted on ---
      {"event: replayed webhook-id", "POST", "/events/catalog", sig("msg_prime", primeBody),
       primeBody, 200, "", "", 1, "duplicate"},
  };
}

}  // namespace

TEST_CASE("bad inbound requests get their exact answer, create no job and are counted",
          "[integration][hostile]") {
  TempDir dir;
  EmulatorProcess emu(dir, {"--teams", "8", "--seed", "5"});
  const std::string app = emu.appIdByName("Contoso Tasks");
  DaemonOptions options;
  options.extraEnv["APPKEEPER_APPS_WATCH"] = app;
  options.extraIni = "[log]\nlevel = debug\n";  // every request is logged: check those lines too
  DaemonProcess daemon(dir, emu, options);
  daemon.start();
  const std::string secret = readSecret(dir.file("catalog_secret"));
  REQUIRE(secret.rfind("whsec_", 0) == 0);
  // Graph's own change notifications (one per upgrade the rollout below makes) would land in the
  // inbox at any moment and blur the per-row counts: the emulator drops them all.
  REQUIRE(emu.control("PUT", "/_emulator/subscriptions/delivery", {{"dropRate", 1.0}}).status ==
          200);

  // Positive control 1: a valid signed event does create jobs, seen by the same counts.
  emu.publish(app, "9.0.0");
  const std::string primeBody = publishEvent(app, "9.0.0");
  auto prime = httpCall("POST", daemon.url() + "/events/catalog", primeBody,
                        signedHeaders(secret, "msg_prime", primeBody));
  REQUIRE(prime.status == 202);
  REQUIRE(eventually([&] { return installationsBehind(emu, app, "9.0.0") == 0; }, 60s));
  REQUIRE(eventually([&] { return idle(daemon) && storedSubscription(daemon).has_value(); }, 30s));
  const Subscription sub = *storedSubscription(daemon);
  REQUIRE(counts(daemon).jobs > 0);

  const auto rows = table(secret, sub, app, primeBody);
  size_t checked = 0;
  for (const BadRequest& row : rows) {
    INFO("row: " << row.name);
    const StoreCounts before = counts(daemon);
    const std::string endpoint = endpointOf(row.target);
    const double countedBefore = counter(scrape(daemon), endpoint, row.status);

    auto r = httpCall(row.method, daemon.url() + row.target, row.body, row.headers, 20s);
    INFO("answer: " << r.status << " " << r.body.substr(0, 300));
    CHECK(r.status == row.status);
    if (!row.errorCode.empty()) {
      CHECK(r.body == errorBody(row.errorCode, row.message));
      CHECK(r.headers["content-type"] == "application/json");
    } else {
      CHECK(r.body == row.message);
    }
    for (const auto& [name, value] : row.expectHeaders) CHECK(r.headers[name] == value);
    for (const auto& name : row.forbiddenHeaders) CHECK(r.headers.count(name) == 0);

    // Counted: the observer runs after the answer is written, so wait for it (bounded).
    CHECK(eventually(
        [&] { return counter(scrape(daemon), endpoint, row.status) == countedBefore + 1; }, 5s));
    const StoreCounts after = counts(daemon);
    CHECK(after.jobs == before.jobs);
    CHECK(after.inbox == before.inbox);
    CHECK(after.inboundAudits == before.inboundAudits + row.audits);
    for (const auto& outcome : newAuditOutcomes(daemon, before.inboundAudits)) {
      CHECK(outcome == row.auditOutcome);
    }
    ++checked;
  }
  CHECK(checked == rows.size());
  std::printf("bad_input_test: %zu hostile requests checked (status, body, jobs, inbox, audit, "
              "metrics)\n",
              checked);

  // Nothing planned later either: after the planner had its chance, still no new job.
  REQUIRE(eventually([&] { return idle(daemon); }, 10s));
  const StoreCounts end = counts(daemon);

  // Positive control 2: the right clientState does reach the inbox, so the rows above were
  // refused for their clientState and not for something else.
  auto good = httpCall("POST", daemon.url() + "/graph/notifications",
                       notification(sub, sub.clientState, app));
  CHECK(good.status == 202);
  CHECK(counts(daemon).inbox == end.inbox + 1);
  // A request line holding terminal escape sequences: answered 404 like any unknown path, and
  // the debug line that names the path carries no ESC byte (it would drive the admin's terminal).
  const int port = std::stoi(daemon.url().substr(daemon.url().rfind(':') + 1));
  const std::string escaped = rawExchange(
      port, "GET /\x1b[2J\x1b[31mowned HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(escaped.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(escaped.find(errorBody("notFound", "no such endpoint")) != std::string::npos);
  CHECK(eventually(
      [&] { return daemon.stderrLog().find("/%1B[2J%1B[31mowned -> 404") != std::string::npos; },
      5s));

  // The daemon survived all of it.
  CHECK(httpCall("GET", daemon.url() + "/healthz").status == 200);
  const std::string log = daemon.stderrLog();
  CHECK(log.find('\x1b') == std::string::npos);
  CHECK(log.find(sub.clientState) == std::string::npos);
  CHECK(log.find(secret.substr(6)) == std::string::npos);
  CHECK(daemon.terminate() == 0);
}
