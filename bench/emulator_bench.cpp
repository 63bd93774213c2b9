// emulator_bench: how fast the Graph emulator starts and answers, printed as a Markdown table.
//   emulator_bench [--teams N] [--iterations N]
// Measures (1) building and seeding a tenant of N teams in process, (2) the real graph-emulator
// process from exec to its "listening on" line, (3) the emulator's own time per hot GET through
// EmulatorCore::handle (no sockets), and (4) the round trip of the same GETs over loopback on one
// keep-alive connection. Throttling is off; latency is zero. Not a test: nothing is asserted.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "emulator/emulator_core.h"
#include "emulator/emulator_server.h"
#include "emulator/prng.h"
#include "emulator/seed.h"
#include "emulator/url_codec.h"

namespace emu = appkeeper::emulator;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kTenant = "11111111-1111-1111-1111-111111111111";

struct Summary {
  double p50 = 0, p99 = 0, mean = 0;
};

Summary summarize(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  Summary s;
  if (us.empty()) return s;
  s.p50 = us[us.size() / 2];
  s.p99 = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  double total = 0;
  for (double v : us) total += v;
  s.mean = total / static_cast<double>(us.size());
  return s;
}

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

emu::Request request(const std::string& method, const std::string& target,
                     const std::string& token) {
  emu::Request r;
  r.method = method;
  auto q = target.find('?');
  r.rawPath = target.substr(0, q);
  r.rawQuery = q == std::string::npos ? "" : target.substr(q + 1);
  r.path = emu::percentDecode(r.rawPath, false).value_or(r.rawPath);
  r.query = emu::parseQuery(r.rawQuery).value_or(std::map<std::string, std::string>{});
  r.headers["host"] = "127.0.0.1:1";
  r.headers["authorization"] = "Bearer " + token;
  return r;
}

// exec graph-emulator and time it to its first stdout line; -1 when it did not start.
double processStartMs(const std::string& exe, size_t teams) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const std::string teamsText = std::to_string(teams);
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    execl(exe.c_str(), exe.c_str(), "--port", "0", "--teams", teamsText.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  double ms = -1;
  char c = 0;
  pollfd p{fds[0], POLLIN, 0};
  while (poll(&p, 1, 20000) > 0 && read(fds[0], &c, 1) == 1) {
    if (c == '\n') {
      ms = msSince(start);
      break;
    }
  }
  close(fds[0]);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  size_t teams = 10000;
  int iterations = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--teams") teams = std::stoul(argv[i + 1]);
    if (a == "--iterations") iterations = std::stoi(argv[i + 1]);
  }

  // (1) Seeding in process.
  std::vector<double> seedMs;
  for (int run = 0; run < 5; ++run) {
    auto start = Clock::now();
    emu::TenantModel model(kTenant);
    if (!emu::seedTenant(model, {teams, 42})) return 1;
    seedMs.push_back(msSince(start));
  }
  std::sort(seedMs.begin(), seedMs.end());

  // (2) The real process.
  std::vector<double> processMs;
#ifdef APPKEEPER_EMULATOR_EXE
  for (int run = 0; run < 3; ++run)
    processMs.push_back(processStartMs(APPKEEPER_EMULATOR_EXE, teams));
  std::sort(processMs.begin(), processMs.end());
#endif

  // (3) In process, through the route function.
  auto model = std::make_unique<emu::TenantModel>(kTenant);
  if (!emu::seedTenant(*model, {teams, 42})) return 1;
  std::string tasks, team;
  for (const auto& a : model->catalog()) {
    if (a.displayName == "Contoso Tasks") tasks = a.id;
  }
  team = model->installations(tasks, "")->at(teams / 2 < 10 ? 0 : 10).teamId;
  appkeeper::SystemClock clock;
  emu::SplitMix64 ids(1);
  emu::EmulatorConfig config;
  config.limits.enabled = false;
  config.subscriptions = false;
  emu::EmulatorCore core(config, std::move(model), clock, ids, nullptr);
  emu::Request tokenRequest;
  tokenRequest.method = "POST";
  tokenRequest.path = tokenRequest.rawPath = std::string("/") + kTenant + "/oauth2/v2.0/token";
  tokenRequest.headers["content-type"] = "application/x-www-form-urlencoded";
  tokenRequest.body =
      "grant_type=client_credentials&client_id=22222222-2222-2222-2222-222222222222&client_secret="
      "emulator-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
  auto tokenJson = nlohmann::json::parse(core.handle(tokenRequest).body);
  const std::string token = tokenJson["access_token"];

  struct Case {
    const char* name;
    std::string target;
  };
  const std::vector<Case> cases = {
      {"GET /teams (page of 20)", "/v1.0/teams"},
      {"GET /teams, page 400 via $skiptoken", ""},
      {"GET installedApps $expand+$filter",
       "/v1.0/teams/" + team + "/installedApps?$expand=teamsApp,teamsAppDefinition&$filter=" +
           emu::percentEncode("teamsApp/id eq '" + tasks + "'")},
      {"GET teamsApps $filter+$expand",
       "/v1.0/appCatalogs/teamsApps?$filter=" + emu::percentEncode("id eq '" + tasks + "'") +
           "&$expand=" +
           emu::percentEncode("appDefinitions($select=id,version,publishingState,authorization)")},
  };
  // The deep page: follow nextLinks to page 400 once, then time that page.
  std::string deep = "/v1.0/teams";
  for (int i = 0; i < 400 && !deep.empty(); ++i) {
    auto j = nlohmann::json::parse(core.handle(request("GET", deep, token)).body);
    std::string next = j.value("@odata.nextLink", "");
    deep = next.empty() ? deep : next.substr(next.find("/v1.0"));
    if (next.empty()) break;
  }

  std::cout << "## Graph emulator benchmark (" << teams << " teams, " << iterations
            << " iterations per GET)\n\n";
  std::cout << "| measure | p50 | p99 | mean |\n|---|---|---|---|\n";
  auto row = [](const std::string& name, const Summary& s, const char* unit) {
    std::printf("| %s | %.1f %s | %.1f %s | %.1f %s |\n", name.c_str(), s.p50, unit, s.p99, unit,
                s.mean, unit);
  };
  row("seed " + std::to_string(teams) + " teams in process (5 runs)", summarize(seedMs), "ms");
  if (!processMs.empty()) {
    row("graph-emulator exec to \"listening on\" (3 runs)", summarize(processMs), "ms");
  }
  for (const auto& c : cases) {
    const std::string target = c.target.empty() ? deep : c.target;
    std::vector<double> us;
    us.reserve(static_cast<size_t>(iterations));
    emu::Request req = request("GET", target, token);
    for (int i = 0; i < iterations; ++i) {
      auto start = Clock::now();
      emu::Response r = core.handle(req);
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      if (r.status != 200) {
        std::cerr << c.name << ": status " << r.status << " " << r.body << "\n";
        return 1;
      }
    }
    row(std::string("in process: ") + c.name, summarize(us), "µs");
  }

  // (4) Over loopback, one keep-alive connection.
  emu::EmulatorServer server(core, emu::ServerOptions{}, nullptr);
  if (!server.start()) return 1;
  Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
  session.setKeepAlive(true);
  for (const auto& c : cases) {
    const std::string target = c.target.empty() ? deep : c.target;
    std::vector<double> us;
    for (int i = 0; i < iterations; ++i) {
      auto start = Clock::now();
      Poco::Net::HTTPRequest req("GET", target, Poco::Net::HTTPMessage::HTTP_1_1);
      req.set("Authorization", "Bearer " + token);
      session.sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::istream& in = session.receiveResponse(resp);
      std::ostringstream sink;
      Poco::StreamCopier::copyStream(in, sink);
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) return 1;
    }
    row(std::string("loopback round trip: ") + c.name, summarize(us), "µs");
  }
  server.stop();
  std::cout << "\nIn-process figures are the emulator's own time (routing, auth, model read, "
               "JSON); loopback adds the Poco client and server and the kernel.\n";
  return 0;
}
