// `appkeeper serve` wiring with real sockets and threads: the Service and runServe against a
// Graph that cannot be reached (nothing listens on its port), which is enough to see the
// listener, the planner's durable retry, readiness, the drain and the exit codes.
#include "daemon/service.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <pthread.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <future>
#include <sstream>
#include <thread>

#include "daemon/commands.h"
#include "daemon_test_support.h"
#include "handlers/standard_webhooks.h"

using namespace appkeeper;
using namespace appkeeper::daemon;
using namespace appkeeper::daemon::testing;

namespace {

const char* kCatalogSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// Writes a config for port `port` into `dir`; Graph points at a closed port.
std::string writeConfig(const TempDir& dir, int port, const std::string& extra = "") {
  dir.write("client_secret", "secret");
  dir.write("catalog_secret", kCatalogSecret);
  return dir.write("appkeeper.ini",
                   "[listen]\nport = " + std::to_string(port) +
                       "\n[graph]\nbase_url = http://127.0.0.1:9/v1.0\n"
                       "token_url = http://127.0.0.1:9/{tenant}/oauth2/v2.0/token\n"
                       "tenant_id = tenant-1\nclient_id = c\nclient_secret_file = ./client_secret\n"
                       "[store]\npath = " +
                       dir.file("appkeeper.db") +
                       "\n[workers]\ncount = 2\nshutdown_grace_seconds = 2\n"
                       "[catalog_events]\nsecret_file = ./catalog_secret\n[log]\nlevel = warn\n" +
                       extra);
}

struct Reply {
  int status = 0;
  std::string body;
};

Reply http(uint16_t port, const std::string& method, const std::string& path,
           const std::string& body = "", const std::map<std::string, std::string>& headers = {}) {
  Reply reply;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) request.set(k, v);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), reply.body);
    reply.status = static_cast<int>(response.getStatus());
  } catch (const std::exception&) {
    reply.status = 0;
  }
  return reply;
}

// Polls `done` every 20 ms for up to `timeout` (real threads: there is no clock to inject).
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

int sendPublishEvent(uint16_t port) {
  const std::string body =
      R"({"type":"teamsApp.published","timestamp":"2026-11-29T10:00:00Z","data":{"tenantId":"tenant-1","teamsAppId":"app-1","version":"2.0.0"}})";
  const std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  return http(port, "POST", "/events/catalog", body,
              {{"Content-Type", "application/json"},
               {"webhook-id", "msg_service_test"},
               {"webhook-timestamp", ts},
               {"webhook-signature",
                handlers::signStandardWebhook(kCatalogSecret, "msg_service_test", ts, body)}})
      .status;
}

}  // namespace

TEST_CASE("the service listens, is ready, keeps an event it cannot plan yet, and drains",
          "[daemon][service][integration]") {
  TempDir dir;
  SystemClock clock;
  auto config = loadConfig(writeConfig(dir, 0), {});
  REQUIRE(config.ok());
  LogSink logs("off");
  auto service = Service::start(*config, clock, logs);
  INFO((service ? "" : service.error().message));
  REQUIRE(service.ok());
  const uint16_t port = (*service)->port();
  REQUIRE(port != 0);
  CHECK(http(port, "GET", "/readyz").status == 200);
  CHECK(sendPublishEvent(port) == 202);
  CHECK((*service)->status() == "0 jobs running, 0 queued");

  // Graph is unreachable, so the planner is busy retrying its catalog GET when the stop comes:
  // after the grace its wait is cancelled and the event goes back to the inbox.
  const auto before = std::chrono::steady_clock::now();
  (*service)->stop();
  CHECK(std::chrono::steady_clock::now() - before < 8s);
  CHECK(http(port, "GET", "/readyz").status == 0);  // the listener is gone

  auto db = must(store::Store::open(config->store.path, clock));
  CHECK(auditOf(*db, "plan", "failed").empty());
  const bool claimable = must(db->claimInbox(60s)).has_value();
  const bool retried = !auditOf(*db, "plan", "retrying").empty();
  CHECK((claimable || retried));  // never lost
}

TEST_CASE("the service refuses to start on a database it cannot open, naming the path",
          "[daemon][service][integration]") {
  TempDir dir;
  SystemClock clock;
  auto config = loadConfig(writeConfig(dir, 0), {});
  REQUIRE(config.ok());
  config->store.path = dir.file("no/such/dir/appkeeper.db");
  LogSink logs("off");
  auto service = Service::start(*config, clock, logs);
  REQUIRE_FALSE(service.ok());
  CHECK(service.error().message.rfind("cannot open the store " + config->store.path, 0) == 0);
}

TEST_CASE("appkeeper serve exits 0 after SIGTERM, 1 when the store cannot open, 2 on a bad config",
          "[daemon][service][integration]") {
  TempDir dir;
  const std::string configPath = writeConfig(dir, 0);
  CommandLine cl;
  cl.command = Command::kServe;
  cl.store.configPath = configPath;

  // SIGTERM is sent to this thread only (pthread_kill), where runServe blocks it and sigwaits.
  // It stays blocked around the call too, so a late signal cannot end the test process.
  sigset_t term, previous;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &previous);
  const pthread_t self = pthread_self();
  const std::string dbPath = dir.file("appkeeper.db");
  auto killer = std::async(std::launch::async, [&] {
    SystemClock clock;
    // The store exists (migrated) once serve is up; then ask it to stop.
    bool up = eventually(
        [&] { return store::Store::open(dbPath, clock, store::OpenMode::kReadOnly).ok(); }, 20s);
    std::this_thread::sleep_for(200ms);  // let start-up finish past the migration
    if (up) pthread_kill(self, SIGTERM);
    return up;
  });
  std::ostringstream err;
  const int code = runServe(cl, {}, err);
  CHECK(killer.get());
  const timespec none{0, 0};
  while (sigtimedwait(&term, nullptr, &none) > 0) {
  }  // a signal that arrived after serve returned
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  CHECK(code == 0);
  CHECK(err.str().empty());

  std::ostringstream err1;
  const int code1 = runServe(cl, {{"APPKEEPER_STORE_PATH", dir.file("missing/dir/a.db")}}, err1);
  CHECK(code1 == 1);
  CHECK(err1.str().rfind("appkeeper: cannot open the store " + dir.file("missing/dir/a.db"), 0) ==
        0);

  std::ostringstream err2;
  const int code2 = runServe(cl, {{"APPKEEPER_WORKERS_COUNT", "many"}}, err2);
  CHECK(code2 == 2);
  CHECK(err2.str() == "appkeeper: config " + configPath +
                          ": [workers] count (from APPKEEPER_WORKERS_COUNT): \"many\" is not a "
                          "number\n");
}
