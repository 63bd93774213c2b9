#include "emulator/subscriptions.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include "common/ascii.h"
#include "common/result.h"
#include "emulator/notifier.h"

namespace appkeeper::emulator {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr const char* kValidationFailed =
    "Subscription validation request failed. Notification endpoint must respond with 200 OK to "
    "validation request.";
constexpr const char* kInstallationType = "#Microsoft.Graph.teamsAppInstallation";

std::string trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])) != 0) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])) != 0) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.emplace_back(
        s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 &&
               hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string makeGuid(Random& random) {
  uint64_t hi = random.below(UINT64_MAX);
  uint64_t lo = random.below(UINT64_MAX);
  hi = (hi & ~0xF000ULL) | 0x4000ULL;              // version 4
  lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

// Opaque and unguessable, shaped like Graph's ("Validation: Testing client application
// reachability for subscription Request-Id: <guid>"), plus a random tail drawn from characters
// that must be percent-encoded: a receiver that echoes the raw query value, or decodes '+' as
// '+', fails the handshake as it would against Graph.
std::string makeValidationToken(Random& random) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=&%";
  std::string token =
      "Validation: Testing client application reachability for subscription "
      "Request-Id: " +
      makeGuid(random) + " Nonce: ";
  for (int i = 0; i < 24; ++i) token += kAlphabet[random.below(kAlphabet.size())];
  return token;
}

Error apiError(int status, std::string code, std::string message) {
  Error e = Error::invalidInput(std::move(message));
  e.httpStatus = status;
  e.code = std::move(code);
  return e;
}
Error badRequest(std::string message) { return apiError(400, "BadRequest", std::move(message)); }

Response toResponse(const RequestContext& ctx, const Error& e) {
  return graphError(ctx, e.httpStatus == 0 ? 500 : e.httpStatus,
                    e.code.empty() ? "InternalServerError" : e.code, e.message);
}

// The one resource the emulator can notify about. Returns the teams-app id it names.
Result<std::string> parseInstallationsResource(const std::string& resource) {
  const std::string supported =
      "The emulator supports change notifications only for "
      "/appCatalogs/teamsApps/{teams-app-id}/installations, optionally with "
      "?$filter=(scopeInfo/scope eq 'team').";
  std::string_view r = resource;
  if (!r.empty() && r.front() == '/') r.remove_prefix(1);
  auto q = r.find('?');
  std::string_view path = r.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : r.substr(q + 1);
  auto segments = split(path, '/');
  if (segments.size() != 4 || !equalsIgnoreCaseAscii(segments[0], "appCatalogs") ||
      !equalsIgnoreCaseAscii(segments[1], "teamsApps") ||
      !equalsIgnoreCaseAscii(segments[3], "installations") || segments[2].empty()) {
    return badRequest("Resource '" + resource + "' is not supported. " + supported);
  }
  for (const auto& param : split(query, '&')) {
    if (param.empty()) continue;
    auto eq = param.find('=');
    std::string name = toLowerAscii(percentDecode(param.substr(0, eq)));
    std::string value =
        eq == std::string::npos ? std::string() : percentDecode(param.substr(eq + 1));
    std::string filter;
    bool lastSpace = false;
    for (char c : value) {
      if (c == '(' || c == ')') continue;
      bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
      if (space && lastSpace) continue;
      filter += space ? ' ' : c;
      lastSpace = space;
    }
    if (name != "$filter" || toLowerAscii(trim(filter)) != "scopeinfo/scope eq 'team'") {
      return badRequest("Resource query '" + param + "' is not supported. " + supported);
    }
  }
  return segments[2];
}

// The emulator's notification URL rules (see SubscriptionOptions).
Status checkNotificationUrl(const SubscriptionOptions& options, const std::string& property,
                            const std::string& url) {
  auto parsed = parseHttpUrl(url);
  if (!parsed) {
    return badRequest(property +
                      " must be an absolute http(s) URL without user info or "
                      "fragment.");
  }
  if (parsed->scheme == "https" && !options.deliveryTls) {
    return badRequest(property +
                      " uses https, but this emulator has no TLS trust settings for deliveries: "
                      "use an http URL on a loopback host.");
  }
  if (!options.allowHttpToAnyHost && !isLoopbackHost(parsed->host)) {
    return badRequest(property +
                      " must point to a loopback host (127.0.0.1, ::1 or localhost): "
                      "the emulator delivers to loopback only (real Graph requires public "
                      "https).");
  }
  if (!options.allowedHosts.empty() &&
      std::none_of(options.allowedHosts.begin(), options.allowedHosts.end(),
                   [&](const std::string& h) { return equalsIgnoreCaseAscii(h, parsed->host); })) {
    return badRequest(property + " host '" + parsed->host +
                      "' is not one of the emulator's allowed notification hosts.");
  }
  return Ok{};
}

// Subscription JSON properties the client may send; the read-only ones are accepted and
// ignored (Graph fills them).
const std::set<std::string>& knownProperties() {
  static const std::set<std::string> kKnown = {"resource",
                                               "changeType",
                                               "notificationUrl",
                                               "lifecycleNotificationUrl",
                                               "expirationDateTime",
                                               "clientState",
                                               "includeResourceData",
                                               "encryptionCertificate",
                                               "encryptionCertificateId",
                                               "latestSupportedTlsVersion",
                                               "notificationQueryOptions",
                                               "notificationUrlAppId",
                                               "id",
                                               "applicationId",
                                               "creatorId"};
  return kKnown;
}

struct Subscription {
  std::string id;
  std::string tenantId;
  std::string appId;
  std::string resource;    // as the client wrote it
  std::string teamsAppId;  // parsed from resource
  std::string changeType;  // as the client wrote it
  std::set<std::string> changeTypes;
  std::string notificationUrl;
  std::string lifecycleNotificationUrl;
  std::string clientState;
  bool includeResourceData = false;
  nlohmann::json encryptionCertificate;  // string or null, echoed
  nlohmann::json encryptionCertificateId;
  nlohmann::json notificationQueryOptions;
  nlohmann::json notificationUrlAppId;
  std::string latestSupportedTlsVersion = "v1_2";
  WallTime expiration;
  WallTime createdAt;

  // Delivery state and per-subscription stats.
  bool missedPending = false;  // a notification was lost: send "missed" when possible
  std::optional<WallTime> lastReauthorizationSent;
  uint64_t reauthorizations = 0;
  uint64_t delivered = 0;
  uint64_t failedAttempts = 0;
  uint64_t dropped = 0;
  uint64_t lifecycleDelivered = 0;
  uint64_t lifecycleFailedAttempts = 0;
  std::string lastOutcome;
  int lastStatus = 0;
  std::string lastError;
  std::optional<WallTime> lastAttemptAt;
};

struct KindCounters {
  uint64_t queued = 0;
  uint64_t delivered = 0;
  uint64_t failedAttempts = 0;
  uint64_t retried = 0;
  uint64_t dropped = 0;  // sum of the three below
  uint64_t droppedQueueFull = 0;
  uint64_t droppedRetryWindow = 0;
  uint64_t droppedInjected = 0;
  uint64_t discarded = 0;  // subscription gone before delivery

  nlohmann::json toJson() const {
    return {{"queued", queued},
            {"delivered", delivered},
            {"failedAttempts", failedAttempts},
            {"retried", retried},
            {"dropped", dropped},
            {"droppedQueueFull", droppedQueueFull},
            {"droppedRetryWindow", droppedRetryWindow},
            {"droppedInjected", droppedInjected},
            {"discarded", discarded}};
  }
};

}  // namespace

std::string formatGraphDateTime(WallTime t) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> hms{ms - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03lld0000Z",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  return buf;
}

std::optional<WallTime> parseGraphDateTime(const std::string& text) {
  using namespace std::chrono;
  const std::string& s = text;
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' ||
      !digits(8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(11, 2, h) || s[13] != ':' ||
      !digits(14, 2, mi) || s[16] != ':' || !digits(17, 2, sec)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t fracMs = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      fracMs += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offsetMinutes = 0;
  if (pos < s.size()) {
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
      pos = s.size();
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      bool colon = pos + 3 < s.size() && s[pos + 3] == ':';
      if (!digits(pos + 1, 2, oh) || !digits(pos + (colon ? 4 : 3), 2, om) ||
          pos + (colon ? 6 : 5) != s.size() || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offsetMinutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  // No zone suffix: taken as UTC (Graph documents expirationDateTime as UTC).
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  if (sec == 60) sec = 59;  // a leap second: close enough for an expiry
  auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + milliseconds{fracMs} -
           minutes{offsetMinutes};
  return WallTime(duration_cast<system_clock::duration>(t.time_since_epoch()));
}

struct SubscriptionService::Impl {
  explicit Impl(SubscriptionOptions opts) : options(std::move(opts)) {
    if (options.clock == nullptr) {
      ownClock = std::make_unique<SystemClock>();
      options.clock = ownClock.get();
    }
    if (options.random == nullptr) {
      ownRandom = std::make_unique<SystemRandom>();
      options.random = ownRandom.get();
    }
    dropRate = options.deliveryDropRate;
  }

  SubscriptionOptions options;
  std::unique_ptr<SystemClock> ownClock;
  std::unique_ptr<SystemRandom> ownRandom;
  // Validation tokens never come from options.random: the emulator may run on a seeded,
  // reproducible Random, and a token must stay unguessable whatever the seed.
  SystemRandom tokenRandom;

  mutable std::mutex mu;
  std::map<std::string, Subscription> subs;  // guarded by mu
  double dropRate = 0.0;                     // guarded by mu
  uint64_t validationsSucceeded = 0;         // guarded by mu (all counters below too)
  uint64_t validationsFailed = 0;
  uint64_t created = 0;
  uint64_t deleted = 0;
  uint64_t expired = 0;
  uint64_t removedByLifecycle = 0;
  uint64_t missedNotSent = 0;  // losses on subscriptions without a lifecycle URL
  uint64_t posts = 0;
  KindCounters change;
  KindCounters lifecycle;

  // Declared last: destroyed (stopped and joined) first, while everything it calls exists.
  std::unique_ptr<Notifier> notifier;

  const Clock& clock() const { return *options.clock; }
  KindCounters& countersFor(NotificationKind k) {
    return k == NotificationKind::kChange ? change : lifecycle;
  }

  void log(const char* what, const Subscription& s) const {
    if (options.logger) {
      options.logger->info("subscription {} {} (tenant {}, app {}, resource {})", s.id, what,
                           s.tenantId, s.appId, s.resource);
    }
  }

  // ---- pure-ish validation -------------------------------------------------------------------

  Result<WallTime> checkExpiration(const nlohmann::json& value, bool hasLifecycleUrl,
                                   bool creating) const {
    if (!value.is_string()) {
      return badRequest(creating ? "expirationDateTime is a required property for subscription "
                                   "creation."
                                 : "expirationDateTime must be a DateTimeOffset string.");
    }
    auto exp = parseGraphDateTime(value.get<std::string>());
    if (!exp) {
      return badRequest("expirationDateTime '" + value.get<std::string>() +
                        "' is not a valid DateTimeOffset; send e.g. 2024-04-18T21:08:55.000Z.");
    }
    WallTime now = clock().now();
    // Graph's wording for this case is not documented; the code matches the lifetime error.
    if (*exp <= now) {
      return apiError(400, "ExtensionError", "Subscription expiration must be in the future.");
    }
    if (*exp - now > options.maxLifetime) {
      return apiError(400, "ExtensionError",
                      "Subscription expiration can only be " +
                          std::to_string(options.maxLifetime.count()) + " minutes in the future.");
    }
    if (*exp - now > options.lifecycleUrlThreshold && !hasLifecycleUrl) {
      return badRequest(
          "lifecycleNotificationUrl is a required property for subscription creation on this "
          "resource when the expirationDateTime value is set to greater than 1 hour.");
    }
    return *exp;
  }

  Result<Subscription> parseCreate(const nlohmann::json& body) const {
    if (!body.is_object()) return badRequest("The subscription must be a JSON object.");
    for (const auto& [key, v] : body.items()) {
      if (!key.empty() && key.front() == '@') continue;  // @odata.type and friends
      if (knownProperties().count(key) == 0) {
        return badRequest("The property '" + key +
                          "' does not exist on type 'microsoft.graph.subscription'. Make sure "
                          "to only use property names that are defined by the type.");
      }
    }
    auto str = [&](const char* key) -> std::optional<std::string> {
      auto it = body.find(key);
      if (it == body.end() || it->is_null()) return std::string();
      if (!it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    Subscription s;
    auto resource = str("resource");
    if (!resource) return badRequest("resource must be a string.");
    if (resource->empty()) {
      return badRequest("resource is a required property for subscription creation.");
    }
    auto appIdOfResource = parseInstallationsResource(*resource);
    if (!appIdOfResource) return appIdOfResource.error();
    s.resource = *resource;
    s.teamsAppId = *appIdOfResource;

    auto changeType = str("changeType");
    if (!changeType || changeType->empty()) {
      return badRequest("changeType is a required property for subscription creation.");
    }
    for (const auto& part : split(*changeType, ',')) {
      std::string t = trim(part);
      if (t != "created" && t != "updated" && t != "deleted") {
        return badRequest("changeType '" + t +
                          "' is not supported on this resource: use created, updated or deleted "
                          "(comma-separated).");
      }
      s.changeTypes.insert(t);
    }
    s.changeType = *changeType;

    auto url = str("notificationUrl");
    if (!url || url->empty()) {
      return badRequest("notificationUrl is a required property for subscription creation.");
    }
    if (auto ok = checkNotificationUrl(options, "notificationUrl", *url); !ok) return ok.error();
    s.notificationUrl = *url;

    auto lifecycleUrl = str("lifecycleNotificationUrl");
    if (!lifecycleUrl) return badRequest("lifecycleNotificationUrl must be a string.");
    if (!lifecycleUrl->empty()) {
      if (auto ok = checkNotificationUrl(options, "lifecycleNotificationUrl", *lifecycleUrl); !ok) {
        return ok.error();
      }
    }
    s.lifecycleNotificationUrl = *lifecycleUrl;

    auto exp = checkExpiration(
        body.contains("expirationDateTime") ? body["expirationDateTime"] : nlohmann::json(),
        !s.lifecycleNotificationUrl.empty(), true);
    if (!exp) return exp.error();
    s.expiration = *exp;

    auto clientState = str("clientState");
    if (!clientState) return badRequest("clientState must be a string.");
    if (clientState->size() > options.maxClientStateLength) {
      return badRequest("clientState must be at most " +
                        std::to_string(options.maxClientStateLength) + " characters.");
    }
    s.clientState = *clientState;

    if (auto it = body.find("includeResourceData"); it != body.end() && !it->is_null()) {
      if (!it->is_boolean()) return badRequest("includeResourceData must be true or false.");
      s.includeResourceData = it->get<bool>();
    }
    auto tls = str("latestSupportedTlsVersion");
    if (!tls) return badRequest("latestSupportedTlsVersion must be a string.");
    if (!tls->empty()) {
      if (*tls != "v1_0" && *tls != "v1_1" && *tls != "v1_2" && *tls != "v1_3") {
        return badRequest("latestSupportedTlsVersion must be one of v1_0, v1_1, v1_2, v1_3.");
      }
      s.latestSupportedTlsVersion = *tls;
    }
    for (const char* key :
         {"encryptionCertificate", "encryptionCertificateId", "notificationUrlAppId"}) {
      auto v = str(key);
      if (!v) return badRequest(std::string(key) + " must be a string.");
    }
    s.encryptionCertificate = body.value("encryptionCertificate", nlohmann::json());
    s.encryptionCertificateId = body.value("encryptionCertificateId", nlohmann::json());
    s.notificationUrlAppId = body.value("notificationUrlAppId", nlohmann::json());
    s.notificationQueryOptions = body.value("notificationQueryOptions", nlohmann::json());
    return s;
  }

  nlohmann::json toJson(const Subscription& s) const {
    auto orNull = [](const std::string& v) {
      return v.empty() ? nlohmann::json() : nlohmann::json(v);
    };
    return {{"id", s.id},
            {"resource", s.resource},
            {"applicationId", s.appId},
            {"changeType", s.changeType},
            {"clientState", orNull(s.clientState)},
            {"notificationUrl", s.notificationUrl},
            {"notificationQueryOptions", s.notificationQueryOptions},
            {"lifecycleNotificationUrl", orNull(s.lifecycleNotificationUrl)},
            {"expirationDateTime", formatGraphDateTime(s.expiration)},
            {"creatorId", s.appId},  // app-only: Graph shows the creating principal
            {"includeResourceData", s.includeResourceData},
            {"latestSupportedTlsVersion", s.latestSupportedTlsVersion},
            {"encryptionCertificate", s.encryptionCertificate},
            {"encryptionCertificateId", s.encryptionCertificateId},
            {"notificationUrlAppId", s.notificationUrlAppId}};
  }

  // ---- handshake -----------------------------------------------------------------------------

  // One validation request; on failure `detail` says what the receiver did (no token in it).
  bool validateEndpoint(const std::string& property, const std::string& url, std::string& detail) {
    std::string token = makeValidationToken(tokenRandom);
    PostResult r = postHttp(appendQueryParameter(url, "validationToken", token),
                            "text/plain; charset=utf-8", "", options.validationTimeout,
                            options.deliveryTls.get());
    bool ok = r.error.empty() && r.status == 200 && r.body == token;
    if (!ok) {
      if (!r.error.empty()) {
        detail = property + ": " + r.error;
      } else if (r.status != 200) {
        detail = property + " answered HTTP " + std::to_string(r.status);
      } else {
        detail = property + " answered 200 but its body is not the URL-decoded validationToken";
      }
    }
    std::lock_guard lock(mu);
    ++(ok ? validationsSucceeded : validationsFailed);
    return ok;
  }

  Status handshake(const std::string& notificationUrl, const std::string& lifecycleUrl) {
    std::string detail;
    bool ok = validateEndpoint("notificationUrl", notificationUrl, detail);
    // Graph validates the lifecycle URL with its own request, even when both URLs are equal.
    if (ok && !lifecycleUrl.empty())
      ok = validateEndpoint("lifecycleNotificationUrl", lifecycleUrl, detail);
    if (ok) return Ok{};
    if (options.logger) options.logger->warn("subscription validation failed: {}", detail);
    return badRequest(std::string(kValidationFailed) + " (emulator: " + detail + ")");
  }

  // ---- routes --------------------------------------------------------------------------------

  std::string contextUrl(const Request& req, const std::string& subPath) const {
    std::string prefix = "/v1.0";
    if (req.path.size() >= subPath.size() &&
        req.path.compare(req.path.size() - subPath.size(), subPath.size(), subPath) == 0) {
      prefix = req.path.substr(0, req.path.size() - subPath.size());
    }
    std::string host = req.header("host");
    std::string origin =
        host.empty() ? std::string("https://graph.microsoft.com") : req.scheme + "://" + host;
    return origin + prefix + "/$metadata#subscriptions";
  }

  Result<nlohmann::json> parseBody(const Request& req) const {
    try {
      return nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::exception&) {
      return badRequest(
          "Unable to read JSON request payload. Please ensure Content-Type header is set and "
          "payload is of valid JSON format.");
    }
  }

  Error notFound(const std::string& id) const {
    return apiError(404, "ResourceNotFound",
                    "Subscription '" + id +
                        "' was not found (Graph deletes expired "
                        "subscriptions; create a new one).");
  }

  // A copy of a subscription the caller owns, or 404.
  Result<Subscription> findOwned(const std::string& id, const std::string& tenantId,
                                 const std::string& appId) const {
    std::lock_guard lock(mu);
    auto it = subs.find(id);
    if (it == subs.end() || it->second.tenantId != tenantId || it->second.appId != appId) {
      return notFound(id);
    }
    return it->second;
  }

  Response create(const Request& req, const std::string& subPath, const RequestContext& ctx,
                  const std::string& tenantId, const std::string& appId) {
    auto body = parseBody(req);
    if (!body) return toResponse(ctx, body.error());
    auto parsed = parseCreate(*body);
    if (!parsed) return toResponse(ctx, parsed.error());
    Subscription s = std::move(parsed.value());
    if (auto quota = checkQuota(tenantId); !quota) return toResponse(ctx, quota.error());
    if (auto ok = handshake(s.notificationUrl, s.lifecycleNotificationUrl); !ok) {
      return toResponse(ctx, ok.error());
    }
    s.tenantId = tenantId;
    s.appId = appId;
    s.createdAt = clock().now();
    nlohmann::json out;
    {
      std::lock_guard lock(mu);
      if (auto quota = checkQuotaLocked(tenantId); !quota) return toResponse(ctx, quota.error());
      do {
        s.id = makeGuid(*options.random);
      } while (subs.count(s.id) != 0);
      out = toJson(s);
      ++created;
      log("created", s);
      subs.emplace(s.id, std::move(s));
    }
    out["@odata.context"] = contextUrl(req, subPath) + "/$entity";
    return Response::json(201, out);
  }

  Status checkQuotaLocked(const std::string& tenantId) const {
    size_t n = static_cast<size_t>(std::count_if(
        subs.begin(), subs.end(), [&](const auto& kv) { return kv.second.tenantId == tenantId; }));
    if (n >= options.maxSubscriptions) {
      return apiError(403, "Forbidden",
                      "The tenant already has " + std::to_string(n) +
                          " subscriptions, the emulator's limit: delete unused subscriptions "
                          "first.");
    }
    return Ok{};
  }
  Status checkQuota(const std::string& tenantId) const {
    std::lock_guard lock(mu);
    return checkQuotaLocked(tenantId);
  }

  Response update(const Request& req, const std::string& id, const RequestContext& ctx,
                  const std::string& tenantId, const std::string& appId) {
    auto current = findOwned(id, tenantId, appId);
    if (!current) return toResponse(ctx, current.error());
    auto body = parseBody(req);
    if (!body) return toResponse(ctx, body.error());
    if (!body->is_object()) return toResponse(ctx, badRequest("The update must be a JSON object."));

    std::optional<WallTime> newExpiration;
    std::optional<std::string> newUrl;
    std::optional<nlohmann::json> newCert;
    std::optional<nlohmann::json> newCertId;
    for (const auto& [key, v] : body->items()) {
      if (!key.empty() && key.front() == '@') continue;
      if (key == "expirationDateTime") {
        auto exp = checkExpiration(v, !current->lifecycleNotificationUrl.empty(), false);
        if (!exp) return toResponse(ctx, exp.error());
        newExpiration = *exp;
      } else if (key == "notificationUrl") {
        if (!v.is_string() || v.get<std::string>().empty()) {
          return toResponse(ctx, badRequest("notificationUrl must be a non-empty string."));
        }
        if (auto ok = checkNotificationUrl(options, key, v.get<std::string>()); !ok) {
          return toResponse(ctx, ok.error());
        }
        newUrl = v.get<std::string>();
      } else if (key == "lifecycleNotificationUrl") {
        if (!(v.is_string() && v.get<std::string>() == current->lifecycleNotificationUrl) &&
            !(v.is_null() && current->lifecycleNotificationUrl.empty())) {
          return toResponse(
              ctx, badRequest("lifecycleNotificationUrl cannot be added or changed on an existing "
                              "subscription: delete it and create a new one with a "
                              "lifecycleNotificationUrl."));
        }
      } else if (key == "encryptionCertificate" || key == "encryptionCertificateId") {
        if (!v.is_string() && !v.is_null()) {
          return toResponse(ctx, badRequest(key + " must be a string."));
        }
        (key == "encryptionCertificate" ? newCert : newCertId) = v;
      } else if (knownProperties().count(key) != 0) {
        return toResponse(ctx, badRequest("The property '" + key +
                                          "' cannot be changed on an existing subscription; "
                                          "delete it and create a new one."));
      } else {
        return toResponse(ctx, badRequest("The property '" + key +
                                          "' does not exist on type "
                                          "'microsoft.graph.subscription'."));
      }
    }
    if (newUrl && *newUrl != current->notificationUrl) {
      // A new endpoint must prove itself like at creation (the lifecycle URL is unchanged).
      if (auto ok = handshake(*newUrl, ""); !ok) return toResponse(ctx, ok.error());
    }
    nlohmann::json out;
    {
      std::lock_guard lock(mu);
      auto it = subs.find(id);
      if (it == subs.end()) return toResponse(ctx, notFound(id));
      Subscription& s = it->second;
      if (newExpiration) {
        s.expiration = *newExpiration;
        s.lastReauthorizationSent.reset();  // renewing also reauthorizes
        ++s.reauthorizations;
      }
      if (newUrl) s.notificationUrl = *newUrl;
      if (newCert) s.encryptionCertificate = *newCert;
      if (newCertId) s.encryptionCertificateId = *newCertId;
      out = toJson(s);
      log("updated", s);
    }
    return Response::json(200, out);
  }

  Response handle(const Request& req, const std::string& subPath, const RequestContext& ctx,
                  const std::string& tenantId, const std::string& appId) {
    std::string path = subPath;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (!path.empty() && path.front() == '/') path.erase(0, 1);
    auto segments = split(path, '/');
    if (segments.empty() || !equalsIgnoreCaseAscii(segments[0], "subscriptions") ||
        segments.size() > 3) {
      return graphError(ctx, 404, "ResourceNotFound", "No subscriptions route matches " + subPath);
    }
    const std::string& m = req.method;
    auto notAllowed = [&] {
      return graphError(ctx, 405, "MethodNotAllowed",
                        "The HTTP method '" + m + "' is not allowed on " + subPath + ".");
    };
    if (segments.size() == 1) {
      if (m == "POST") return create(req, subPath, ctx, tenantId, appId);
      if (m == "GET") return listOwned(req, subPath, tenantId, appId);
      return notAllowed();
    }
    const std::string& id = segments[1];
    if (segments.size() == 3) {
      if (!equalsIgnoreCaseAscii(segments[2], "reauthorize") &&
          !equalsIgnoreCaseAscii(segments[2], "microsoft.graph.reauthorize")) {
        return graphError(ctx, 404, "ResourceNotFound",
                          "No subscriptions route matches " + subPath);
      }
      if (m != "POST") return notAllowed();
      std::lock_guard lock(mu);
      auto it = subs.find(id);
      if (it == subs.end() || it->second.tenantId != tenantId || it->second.appId != appId) {
        return toResponse(ctx, notFound(id));
      }
      // Reauthorizing does not extend the subscription (Graph docs); it restarts the
      // reauthorizationRequired schedule.
      ++it->second.reauthorizations;
      it->second.lastReauthorizationSent.reset();
      return Response::empty(204);
    }
    if (m == "GET") {
      auto s = findOwned(id, tenantId, appId);
      if (!s) return toResponse(ctx, s.error());
      nlohmann::json out = toJson(*s);
      out["@odata.context"] = contextUrl(req, subPath) + "/$entity";
      return Response::json(200, out);
    }
    if (m == "PATCH") return update(req, id, ctx, tenantId, appId);
    if (m == "DELETE") {
      std::lock_guard lock(mu);
      auto it = subs.find(id);
      if (it == subs.end() || it->second.tenantId != tenantId || it->second.appId != appId) {
        return toResponse(ctx, notFound(id));
      }
      log("deleted", it->second);
      subs.erase(it);
      ++deleted;
      return Response::empty(204);
    }
    return notAllowed();
  }

  Response listOwned(const Request& req, const std::string& subPath, const std::string& tenantId,
                     const std::string& appId) const {
    nlohmann::json value = nlohmann::json::array();
    {
      std::lock_guard lock(mu);
      for (const auto& [id, s] : subs) {
        if (s.tenantId == tenantId && s.appId == appId) value.push_back(toJson(s));
      }
    }
    return Response::json(200, {{"@odata.context", contextUrl(req, subPath)}, {"value", value}});
  }

  // ---- notifications -------------------------------------------------------------------------

  static nlohmann::json lifecycleItem(const Subscription& s, const std::string& event) {
    nlohmann::json item = {
        {"subscriptionId", s.id},
        {"subscriptionExpirationDateTime", formatGraphDateTime(s.expiration)},
        {"tenantId", s.tenantId},
        {"clientState", s.clientState.empty() ? nlohmann::json() : nlohmann::json(s.clientState)},
        {"lifecycleEvent", event}};
    return item;
  }

  static nlohmann::json changeItem(const Subscription& s, const std::string& teamsAppId,
                                   const std::string& installationId,
                                   const std::string& changeType) {
    std::string resource =
        "appCatalogs/teamsApps('" + teamsAppId + "')/installations('" + installationId + "')";
    return {
        {"subscriptionId", s.id},
        {"subscriptionExpirationDateTime", formatGraphDateTime(s.expiration)},
        {"changeType", changeType},
        {"resource", resource},
        {"resourceData",
         {{"id", installationId}, {"@odata.type", kInstallationType}, {"@odata.id", resource}}},
        {"clientState", s.clientState.empty() ? nlohmann::json() : nlohmann::json(s.clientState)},
        {"tenantId", s.tenantId}};
  }

  // Enqueues outside the lock; a refused change notification counts as dropped and leaves the
  // subscription owing a "missed" event.
  void enqueueAll(std::vector<Notification> batch) {
    bool owesMissed = false;
    for (auto& n : batch) {
      NotificationKind kind = n.kind;
      std::string subId = n.subscriptionId;
      bool accepted = notifier->enqueue(std::move(n));
      std::lock_guard lock(mu);
      KindCounters& c = countersFor(kind);
      if (accepted) {
        ++c.queued;
        continue;
      }
      ++c.dropped;
      ++c.droppedQueueFull;
      if (auto it = subs.find(subId); it != subs.end() && kind == NotificationKind::kChange) {
        ++it->second.dropped;
        it->second.missedPending = true;
        owesMissed = true;
      }
    }
    if (owesMissed) notifier->wake();
  }

  void onInstallationChanged(const std::string& tenantId, const std::string& teamsAppId,
                             const std::string& installationId, const std::string& changeType) {
    if (changeType != "created" && changeType != "updated" && changeType != "deleted") {
      if (options.logger)
        options.logger->error("ignoring unknown installation change '{}'", changeType);
      return;
    }
    std::vector<Notification> batch;
    bool owesMissed = false;
    {
      std::lock_guard lock(mu);
      WallTime now = clock().now();
      for (auto& [id, s] : subs) {
        if (s.tenantId != tenantId || !equalsIgnoreCaseAscii(s.teamsAppId, teamsAppId) ||
            s.changeTypes.count(changeType) == 0 || s.expiration <= now) {
          continue;
        }
        if (dropRate > 0.0 &&
            static_cast<double>(options.random->below(1'000'000)) < dropRate * 1'000'000.0) {
          ++change.dropped;
          ++change.droppedInjected;
          ++s.dropped;
          s.missedPending = true;
          owesMissed = true;
          continue;
        }
        batch.push_back(Notification{s.id, NotificationKind::kChange, s.notificationUrl,
                                     changeItem(s, teamsAppId, installationId, changeType)});
      }
    }
    enqueueAll(std::move(batch));
    if (owesMissed) notifier->wake();
  }

  Response triggerLifecycle(const std::string& id, const std::string& event,
                            const RequestContext& ctx) {
    if (event != "missed" && event != "subscriptionRemoved" && event != "reauthorizationRequired") {
      return graphError(ctx, 400, "BadRequest",
                        "Unknown lifecycle event '" + event +
                            "': use missed, subscriptionRemoved or reauthorizationRequired.");
    }
    Notification n;
    {
      std::lock_guard lock(mu);
      auto it = subs.find(id);
      if (it == subs.end()) return toResponse(ctx, notFound(id));
      if (it->second.lifecycleNotificationUrl.empty()) {
        return graphError(ctx, 400, "BadRequest",
                          "Subscription '" + id +
                              "' has no lifecycleNotificationUrl, so it cannot receive lifecycle "
                              "events.");
      }
      n = Notification{id, NotificationKind::kLifecycle, it->second.lifecycleNotificationUrl,
                       lifecycleItem(it->second, event)};
      if (event == "subscriptionRemoved") {
        log("removed (lifecycle event)", it->second);
        subs.erase(it);
        ++removedByLifecycle;
      } else if (event == "reauthorizationRequired") {
        it->second.lastReauthorizationSent = clock().now();
      }
    }
    std::vector<Notification> one;
    one.push_back(std::move(n));
    enqueueAll(std::move(one));
    return Response::json(202,
                          {{"subscriptionId", id}, {"lifecycleEvent", event}, {"queued", true}});
  }

  size_t removeExpired() {
    std::lock_guard lock(mu);
    WallTime now = clock().now();
    size_t n = std::erase_if(subs, [&](const auto& kv) {
      if (kv.second.expiration > now) return false;
      log("expired and removed", kv.second);
      return true;
    });
    expired += n;
    return n;
  }

  // Delivery thread, every pass: expiry, owed "missed" events, automatic reauthorizationRequired.
  void housekeeping() {
    removeExpired();
    std::vector<Notification> out;
    std::vector<std::string> missedFor;
    {
      std::lock_guard lock(mu);
      WallTime now = clock().now();
      for (auto& [id, s] : subs) {
        if (s.missedPending) {
          if (s.lifecycleNotificationUrl.empty()) {
            s.missedPending = false;
            ++missedNotSent;
          } else {
            out.push_back(Notification{id, NotificationKind::kLifecycle, s.lifecycleNotificationUrl,
                                       lifecycleItem(s, "missed")});
            missedFor.push_back(id);
          }
        }
        if (options.reauthorizationWindow.count() > 0 && !s.lifecycleNotificationUrl.empty() &&
            s.expiration - now <= options.reauthorizationWindow &&
            (!s.lastReauthorizationSent ||
             now - *s.lastReauthorizationSent >= options.reauthorizationInterval)) {
          s.lastReauthorizationSent = now;
          out.push_back(Notification{id, NotificationKind::kLifecycle, s.lifecycleNotificationUrl,
                                     lifecycleItem(s, "reauthorizationRequired")});
        }
      }
    }
    for (auto& n : out) {
      bool isMissed = n.item.value("lifecycleEvent", "") == "missed";
      std::string subId = n.subscriptionId;
      bool accepted = notifier->enqueue(std::move(n));
      std::lock_guard lock(mu);
      if (!accepted) {
        // Stays owed (missed) or is simply skipped (reauthorization: it comes back next window).
        if (!isMissed) {
          if (auto it = subs.find(subId); it != subs.end())
            it->second.lastReauthorizationSent.reset();
        }
        continue;
      }
      ++lifecycle.queued;
      if (isMissed) {
        if (auto it = subs.find(subId); it != subs.end()) it->second.missedPending = false;
      }
    }
  }

  bool stillWanted(const Notification& n) const {
    if (n.kind == NotificationKind::kLifecycle) return true;  // subscriptionRemoved outlives it
    std::lock_guard lock(mu);
    auto it = subs.find(n.subscriptionId);
    return it != subs.end() && it->second.expiration > clock().now();
  }

  void onReport(const DeliveryReport& r) {
    bool owesMissed = false;
    {
      std::lock_guard lock(mu);
      KindCounters& c = countersFor(r.kind);
      auto it = subs.find(r.subscriptionId);
      Subscription* s = it == subs.end() ? nullptr : &it->second;
      bool isChange = r.kind == NotificationKind::kChange;
      switch (r.outcome) {
        case DeliveryOutcome::kDelivered:
          ++c.delivered;
          if (s != nullptr) ++(isChange ? s->delivered : s->lifecycleDelivered);
          break;
        case DeliveryOutcome::kRetrying:
          ++c.failedAttempts;
          ++c.retried;
          if (s != nullptr) ++(isChange ? s->failedAttempts : s->lifecycleFailedAttempts);
          break;
        case DeliveryOutcome::kDropped:
          ++c.failedAttempts;
          ++c.dropped;
          ++c.droppedRetryWindow;
          if (s != nullptr) {
            ++(isChange ? s->failedAttempts : s->lifecycleFailedAttempts);
            if (isChange) {
              ++s->dropped;
              s->missedPending = true;
              owesMissed = true;
            }
          }
          break;
        case DeliveryOutcome::kDiscarded:
          ++c.discarded;
          break;
      }
      if (s != nullptr && r.outcome != DeliveryOutcome::kDiscarded) {
        s->lastOutcome = toString(r.outcome);
        s->lastStatus = r.status;
        s->lastError = r.error;
        s->lastAttemptAt = clock().now();
      }
    }
    if (owesMissed) notifier->wake();
  }

  nlohmann::json stats() const {
    size_t depth = notifier->depth();
    std::lock_guard lock(mu);
    nlohmann::json per = nlohmann::json::object();
    for (const auto& [id, s] : subs) {
      per[id] = {
          {"tenantId", s.tenantId},
          {"applicationId", s.appId},
          {"resource", s.resource},
          {"delivered", s.delivered},
          {"failedAttempts", s.failedAttempts},
          {"dropped", s.dropped},
          {"lifecycleDelivered", s.lifecycleDelivered},
          {"lifecycleFailedAttempts", s.lifecycleFailedAttempts},
          {"missedPending", s.missedPending},
          {"reauthorizations", s.reauthorizations},
          {"lastOutcome", s.lastOutcome.empty() ? nlohmann::json() : nlohmann::json(s.lastOutcome)},
          {"lastStatus", s.lastStatus},
          {"lastError", s.lastError.empty() ? nlohmann::json() : nlohmann::json(s.lastError)},
          {"lastAttemptDateTime", s.lastAttemptAt
                                      ? nlohmann::json(formatGraphDateTime(*s.lastAttemptAt))
                                      : nlohmann::json()}};
    }
    return {{"validations", {{"succeeded", validationsSucceeded}, {"failed", validationsFailed}}},
            {"subscriptions",
             {{"active", subs.size()},
              {"created", created},
              {"deleted", deleted},
              {"expired", expired},
              {"removedByLifecycle", removedByLifecycle}}},
            {"notifications", change.toJson()},
            {"lifecycle", lifecycle.toJson()},
            {"missedNotSent", missedNotSent},
            {"posts", posts},
            {"queueDepth", depth},
            {"deliveryDropRate", dropRate},
            {"perSubscription", per}};
  }

  nlohmann::json list() const {
    nlohmann::json out = nlohmann::json::array();
    std::lock_guard lock(mu);
    for (const auto& [id, s] : subs) {
      nlohmann::json j = toJson(s);
      j.erase("clientState");  // a secret: the control API says only whether there is one
      j["hasClientState"] = !s.clientState.empty();
      j["tenantId"] = s.tenantId;
      out.push_back(std::move(j));
    }
    return out;
  }
};

SubscriptionService::SubscriptionService(SubscriptionOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl* impl = impl_.get();
  NotifierOptions n;
  n.clock = impl->options.clock;
  n.deliveryTimeout = impl->options.deliveryTimeout;
  n.retryInitial = impl->options.retryInitial;
  n.retryMax = impl->options.retryMax;
  n.retryWindow = impl->options.retryWindow;
  n.maxQueue = impl->options.maxQueue;
  n.maxBatch = impl->options.maxBatch;
  n.tickInterval = impl->options.housekeepingInterval;
  n.logger = impl->options.logger;
  n.startThread = impl->options.startDeliveryThread;
  n.post = [impl](const std::string& url, const std::string& contentType, const std::string& body,
                  std::chrono::milliseconds timeout) {
    {
      std::lock_guard lock(impl->mu);
      ++impl->posts;
    }
    return postHttp(url, contentType, body, timeout, impl->options.deliveryTls.get());
  };
  n.onReport = [impl](const DeliveryReport& r) { impl->onReport(r); };
  n.stillWanted = [impl](const Notification& x) { return impl->stillWanted(x); };
  n.onTick = [impl] { impl->housekeeping(); };
  impl->notifier = std::make_unique<Notifier>(std::move(n));
}

SubscriptionService::~SubscriptionService() {
  // Stop deliveries before the state their callbacks touch goes away. stop() first: while
  // unique_ptr::reset runs, notifier is already null, and the thread's callbacks use it.
  if (impl_ && impl_->notifier) {
    impl_->notifier->stop();
    impl_->notifier.reset();
  }
}

Response SubscriptionService::handle(const Request& req, const std::string& subPath,
                                     const RequestContext& ctx, const std::string& tenantId,
                                     const std::string& appId) {
  try {
    impl_->removeExpired();
    return impl_->handle(req, subPath, ctx, tenantId, appId);
  } catch (const std::exception& e) {
    if (impl_->options.logger) impl_->options.logger->error("subscriptions route: {}", e.what());
    return graphError(ctx, 500, "InternalServerError",
                      "The emulator failed to handle the subscription request.");
  }
}

void SubscriptionService::onInstallationChanged(const std::string& tenantId,
                                                const std::string& teamsAppId,
                                                const std::string& teamId,
                                                const std::string& installationId,
                                                const std::string& changeType) {
  // teamId is not part of Graph's payload for this resource (the installation id is opaque to
  // receivers), so the emulator does not send it either.
  (void)teamId;
  try {
    impl_->onInstallationChanged(tenantId, teamsAppId, installationId, changeType);
  } catch (const std::exception& e) {
    if (impl_->options.logger)
      impl_->options.logger->error("installation notification: {}", e.what());
  }
}

Response SubscriptionService::triggerLifecycle(const std::string& subscriptionId,
                                               const std::string& event,
                                               const RequestContext& ctx) {
  try {
    return impl_->triggerLifecycle(subscriptionId, event, ctx);
  } catch (const std::exception& e) {
    if (impl_->options.logger) impl_->options.logger->error("lifecycle trigger: {}", e.what());
    return graphError(ctx, 500, "InternalServerError", "The emulator failed to queue the event.");
  }
}

nlohmann::json SubscriptionService::stats() const { return impl_->stats(); }
nlohmann::json SubscriptionService::list() const { return impl_->list(); }

void SubscriptionService::setDeliveryDropRate(double rate) {
  std::lock_guard lock(impl_->mu);
  impl_->dropRate = std::clamp(rate, 0.0, 1.0);
}

bool SubscriptionService::expireNow(const std::string& subscriptionId) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->subs.find(subscriptionId);
  if (it == impl_->subs.end()) return false;
  impl_->log("expired on request and removed", it->second);
  impl_->subs.erase(it);
  ++impl_->expired;
  return true;
}

size_t SubscriptionService::removeExpired() { return impl_->removeExpired(); }
void SubscriptionService::wakeDelivery() { impl_->notifier->wake(); }

size_t SubscriptionService::runDeliveryOnce() {
  impl_->housekeeping();
  return impl_->notifier->runOnce();
}

size_t SubscriptionService::pendingDeliveries() const { return impl_->notifier->depth(); }

}  // namespace appkeeper::emulator
