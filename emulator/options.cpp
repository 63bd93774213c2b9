#include "emulator/options.h"

#include <charconv>
#include <functional>
#include <map>

namespace appkeeper::emulator {
namespace {

template <typename T>
Status number(const std::string& name, const std::string& text, T min, T max, T& out) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return Error::invalidInput("--" + name + " needs a whole number from " + std::to_string(min) +
                               " to " + std::to_string(max) + ", got '" + text + "'");
  }
  out = value;
  return Ok{};
}

}  // namespace

std::string usage() {
  return R"(Usage: graph-emulator [options]

A stand-in for the parts of Microsoft Graph and the identity platform that appkeeper uses.
Prints "listening on http://ADDRESS:PORT" (https:// with --tls) as its first line on stdout,
then serves until SIGINT/SIGTERM. Graph is under /v1.0 and /beta, the token endpoint at
/{tenant}/oauth2/v2.0/token, the control API under /_emulator/ (see docs/emulator.md).

Server:
  --port P                 port to listen on; 0 picks a free one (default 0)
  --bind ADDRESS           address to listen on (default 127.0.0.1)
  --threads N              request threads (default 64)
  --log-level LEVEL        trace|debug|info|warn|error|off (default warn; info logs every request)

TLS:
  --tls                    serve HTTPS (TLS 1.2+) with a CA and server certificate made at start
                           (EC P-256, valid one day, for localhost, 127.0.0.1 and ::1)
  --tls-cert FILE          serve HTTPS with this PEM certificate chain instead (implies --tls)
  --tls-key FILE           and this unencrypted PEM key (give both or neither)
  --tls-ca-out FILE        write the certificate clients should trust (PEM) to FILE before the
                           "listening on" line; with --tls-cert, the chain's last certificate
  --notify-ca-file FILE    also trust this PEM CA when delivering to https notification URLs
                           (the system store is always trusted; verification is always on)

Identity:
  --tenant ID              the one tenant (default 11111111-1111-1111-1111-111111111111)
  --client-id ID           the app allowed to get tokens (default 22222222-2222-2222-2222-222222222222)
  --client-secret S        its secret (default emulator-secret)
  --client-secret-file F   read the secret from a file instead (trailing newline ignored)
  --token-lifetime SECONDS access token lifetime (default 3599)
  --device-code-interval SECONDS
                           polling interval of device codes (default 5; 0 = no slow_down)
  --device-code-lifetime SECONDS
                           lifetime of device codes (default 900)

Tenant content:
  --teams N                seed N teams (default 50; 0 when --scenario is given)
  --seed S                 seed for ids, installations, faults and jitter (default 1)
  --scenario FILE          JSON scenario applied after seeding (format: docs/emulator.md)
  --state FILE             load the tenant from FILE if it exists (instead of seeding), save it
                           there on a clean exit (SIGINT/SIGTERM)

Behaviour:
  --page-size N            items per page of a collection without $top (default 20)
  --latency-ms MS          fixed delay added to every Graph and token request (default 0)
  --latency-jitter-ms MS   plus a uniform random delay in [0, MS] (default 0)
  --get-rps N              GETs per second per tenant (default 30; 0 = no limit)
  --post-rps N             upgrade POSTs per second per tenant (default 30; 0 = no limit)
  --team-rps N             requests per second per team (default 4; 0 = no limit)
  --no-throttle            switch throttling off
  --allow-app-only-rsc     let app-only tokens upgrade apps that need RSC (default: 403)
  --faults FILE            initial fault rules (JSON as for PUT /_emulator/faults)
  --hang-ms MS             how long a "hang" fault holds the connection (default 60000)
  --retry-after SECONDS    Retry-After of injected 503s (default 1)
  --no-subscriptions       switch the /subscriptions routes and notifications off
  --help                   show this text
)";
}

Result<Options> parseOptions(const std::vector<std::string>& args) {
  Options o;
  using Setter = std::function<Status(const std::string& name, const std::string& value)>;
  auto text = [](std::string& field) -> Setter {
    return [&field](const std::string& name, const std::string& v) -> Status {
      if (v.empty()) return Error::invalidInput("--" + name + " needs a value");
      field = v;
      return Ok{};
    };
  };
  auto integer = [](int& field, int min, int max) -> Setter {
    return [&field, min, max](const std::string& name, const std::string& v) {
      return number(name, v, min, max, field);
    };
  };
  auto size = [](size_t& field, size_t min, size_t max) -> Setter {
    return [&field, min, max](const std::string& name, const std::string& v) {
      return number(name, v, min, max, field);
    };
  };
  const std::map<std::string, Setter> withValue = {
      {"port", [&](const std::string& n,
                   const std::string& v) { return number<uint16_t>(n, v, 0, 65535, o.port); }},
      {"bind", text(o.bind)},
      {"threads", integer(o.threads, 2, 1024)},
      {"tls-cert", text(o.tlsCertFile)},
      {"tls-key", text(o.tlsKeyFile)},
      {"tls-ca-out", text(o.tlsCaOut)},
      {"notify-ca-file", text(o.notifyCaFile)},
      {"log-level",
       [&](const std::string& n, const std::string& v) -> Status {
         for (const char* l : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
           if (v == l) {
             o.logLevel = v;
             return Ok{};
           }
         }
         return Error::invalidInput("--" + n + " must be trace, debug, info, warn, error or off");
       }},
      {"tenant", text(o.tenantId)},
      {"client-id", text(o.clientId)},
      {"client-secret", text(o.clientSecret)},
      {"client-secret-file", text(o.clientSecretFile)},
      {"token-lifetime", integer(o.tokenLifetimeSeconds, 1, 86400)},
      {"device-code-interval", integer(o.deviceCodeIntervalSeconds, 0, 3600)},
      {"device-code-lifetime", integer(o.deviceCodeLifetimeSeconds, 1, 86400)},
      {"teams",
       [&](const std::string& n, const std::string& v) {
         o.teamsGiven = true;
         return number<size_t>(n, v, 0, 1'000'000, o.teams);
       }},
      {"seed", [&](const std::string& n,
                   const std::string& v) { return number<uint64_t>(n, v, 0, UINT64_MAX, o.seed); }},
      {"scenario", text(o.scenarioFile)},
      {"state", text(o.stateFile)},
      {"page-size", size(o.pageSize, 1, 999)},
      {"latency-ms", integer(o.latencyMs, 0, 600000)},
      {"latency-jitter-ms", integer(o.latencyJitterMs, 0, 600000)},
      {"get-rps", integer(o.getPerSecond, 0, 1000000)},
      {"post-rps", integer(o.postPerSecond, 0, 1000000)},
      {"team-rps", integer(o.perTeamPerSecond, 0, 1000000)},
      {"faults", text(o.faultsFile)},
      {"hang-ms", integer(o.hangMs, 0, 3600000)},
      {"retry-after", integer(o.retryAfterSeconds, 0, 3600)},
  };
  const std::map<std::string, bool*> flags = {
      {"help", &o.help},
      {"allow-app-only-rsc", &o.allowAppOnlyRsc},
      {"tls", &o.tls},
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      return Error::invalidInput("unexpected argument '" + arg + "'");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inlineValue;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "no-throttle" || name == "no-subscriptions") {
      if (inlineValue) return Error::invalidInput("--" + name + " takes no value");
      (name == "no-throttle" ? o.throttle : o.subscriptions) = false;
      continue;
    }
    if (auto f = flags.find(name); f != flags.end()) {
      if (inlineValue) return Error::invalidInput("--" + name + " takes no value");
      *f->second = true;
      continue;
    }
    auto setter = withValue.find(name);
    if (setter == withValue.end()) return Error::invalidInput("unknown option '--" + name + "'");
    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else {
      if (i + 1 >= args.size()) return Error::invalidInput("--" + name + " needs a value");
      value = args[++i];
    }
    if (auto s = setter->second(name, value); !s) return s.error();
  }
  if (!o.teamsGiven && !o.scenarioFile.empty()) o.teams = 0;
  if (o.tlsCertFile.empty() != o.tlsKeyFile.empty()) {
    return Error::invalidInput("--tls-cert and --tls-key go together: give both or neither");
  }
  if (!o.tlsCertFile.empty()) o.tls = true;
  if (!o.tlsCaOut.empty() && !o.tls) {
    return Error::invalidInput("--tls-ca-out needs --tls (or --tls-cert and --tls-key)");
  }
  return o;
}

}  // namespace appkeeper::emulator
