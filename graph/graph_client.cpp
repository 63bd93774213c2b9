#include "graph/graph_client.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "graph/graph_error.h"
#include "graph/guid.h"
#include "graph/json_mapping.h"
#include "graph/redact.h"
#include "graph/url.h"

namespace appkeeper::graph {

using std::chrono::milliseconds;

struct GraphClient::Call {
  std::string method = "GET";
  std::string url;
  Budget budget = Budget::kGet;
  std::string teamId;               // the per-team rate budget; empty for tenant-level calls
  std::optional<std::string> body;  // JSON; POST without body when empty
  bool expectJson = true;
  TokenSource* tokens = nullptr;        // overrides the app-only source
  std::optional<milliseconds> timeout;  // overrides options_.requestTimeout (at least that long)
  const char* operation = "other";      // the typed call, for GraphObserver (a static string)
};

struct GraphClient::Reply {
  int status = 0;
  std::string requestId;
  nlohmann::json body;  // null unless the call expects JSON
};

namespace {

// Safety net against a server whose nextLinks never end (every loop is bounded).
constexpr size_t kMaxPages = 100'000;

// How many slots a request takes at most when 429 pauses keep voiding the one it slept for;
// after that it is sent anyway and a 429 is handled as usual (the loop stays bounded).
constexpr int kPauseRecheckLimit = 8;
// A 401 refreshes the token and sends again, at most this often per attempt. Twice, not once: a
// token can be revoked (a credential rotation, an admin's sign-out) while the refreshed one is
// already in flight, and the fault matrix expires tokens that close together. A third 401 is
// a token the identity platform keeps issuing and Graph keeps refusing: a setup error.
constexpr int kMaxTokenRefreshes = 2;
// The first GET /teams asks for pages of 999 teams ($top is documented for /teams; its
// default and maximum page sizes are not, graph-api.md 2.7; 999 is the maximum of /groups,
// which /teams lists). A scan reads each page's teams concurrently and waits for the slowest
// read before the next page: pages of 20 (the emulator's default, like many Graph lists) held
// a 10,000-team first scan to ~110 teams/s at 80 ms per GET, and pages of 100 to ~125/s, below
// the GET budget; 999 reaches it. Graph may clamp or ignore the size (the scan follows
// @odata.nextLink whatever it is); should it refuse it with a 400, the client asks once more
// without $top and never sends it again (kTeamsFirstPageDefault).
constexpr const char* kTeamsFirstPage = "/teams?$select=id&$top=999";
constexpr const char* kTeamsFirstPageDefault = "/teams?$select=id";

// "GET /v1.0/teams/x/installedApps" for messages: the path, not the query or host.
std::string describe(const std::string& method, const std::string& url) {
  auto parsed = parseUrl(url);
  std::string path = parsed ? parsed->target : url;
  path = path.substr(0, path.find('?'));
  return method + " " + path;
}

const char* kDefinitionsExpand =
    "appDefinitions($select=id,teamsAppId,version,publishingState,authorization)";

// Graph validates notificationUrl and then lifecycleNotificationUrl before it answers a create,
// giving each endpoint up to 10 s (shared/graph-api.md 3.5): wait for both and some slack.
constexpr milliseconds kSubscriptionHandshakeTimeout{25'000};

// The ids of one GET /teams page.
Result<std::vector<std::string>> teamIdsFromPage(const JsonPage& page) {
  std::vector<std::string> ids;
  ids.reserve(page.items.size());
  for (const auto& item : page.items) {
    auto id = item.is_object() ? item.find("id") : item.end();
    if (!item.is_object() || id == item.end() || !id->is_string() ||
        id->get_ref<const std::string&>().empty()) {
      return Error::permanent("Graph answered a team without a string id (GET /teams)");
    }
    ids.push_back(id->get<std::string>());
  }
  return ids;
}

// A transient failure to get a token, marked so callers can tell it from a failed Graph call.
// Permanent ones (bad credentials, LoginRequired) keep their code.
Error tokenUnavailable(Error e) {
  if (e.kind == ErrorKind::kTransient && e.code != kCancelledCode) e.code = kTokenUnavailableCode;
  return e;
}

bool isBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

GraphClient::GraphClient(GraphClientOptions options, HttpTransport& transport, TokenSource& tokens,
                         RateLimiter& limiter, const Clock& clock, Sleeper& sleeper, Random& random)
    : options_(std::move(options)),
      transport_(transport),
      tokens_(tokens),
      limiter_(limiter),
      clock_(clock),
      sleeper_(sleeper),
      backoff_(options_.backoffBase, options_.backoffCap, random) {
  while (!options_.baseUrl.empty() && options_.baseUrl.back() == '/') options_.baseUrl.pop_back();
  if (auto base = parseUrl(options_.baseUrl)) baseOrigin_ = base->origin();
}

Error GraphClient::cancelled() const {
  Error e = Error::transient("the Graph call was cancelled: appkeeper is shutting down");
  e.code = kCancelledCode;
  return e;
}

std::optional<milliseconds> GraphClient::waitForSlot(const Call& call) {
  milliseconds total{0};
  for (int round = 1;; ++round) {
    const milliseconds wait = limiter_.reserve(call.budget, call.teamId);
    total += std::max(wait, milliseconds::zero());
    if (wait > milliseconds::zero() && !sleeper_.sleepFor(wait)) return std::nullopt;
    // Another worker's 429 may have paused the tenant while this one slept: its slot, handed
    // out before the pause, now lies inside it, and sending would draw one more 429 (and one
    // more pause). Not a busy loop: the new slot is at or after the pause's end.
    if (round >= kPauseRecheckLimit || limiter_.pauseLeft() == milliseconds::zero()) return total;
  }
}

Result<GraphClient::Reply> GraphClient::attempt(const Call& call, int attemptNo) {
  TokenSource& tokens = call.tokens != nullptr ? *call.tokens : tokens_;
  auto token = tokens.token();
  if (!token) return tokenUnavailable(token.error());
  const std::string what = describe(call.method, call.url);
  // Bounded: the passes after the first exist only for the refreshes after a 401.
  for (int authPass = 0;; ++authPass) {
    const std::optional<milliseconds> waited = waitForSlot(call);
    if (!waited) return cancelled();
    const milliseconds wait = *waited;

    HttpRequest request;
    request.method = call.method;
    request.url = call.url;
    request.timeout = options_.requestTimeout;
    if (call.timeout && *call.timeout > request.timeout) request.timeout = *call.timeout;
    request.headers = {{"Authorization", "Bearer " + *token},
                       {"client-request-id", newGuid(ids_)},
                       {"Accept", "application/json"},
                       {"User-Agent", options_.userAgent}};
    if (call.body) {
      request.headers.emplace_back("Content-Type", "application/json");
      request.body = *call.body;
    }
    const SteadyTime sendStart = clock_.steadyNow();
    auto sent = transport_.send(request);
    if (options_.observer != nullptr) {
      const auto took = clock_.steadyNow() - sendStart;
      options_.observer->onAttempt({call.operation, sent ? sent->status : 0,
                                    std::chrono::duration_cast<std::chrono::nanoseconds>(took),
                                    std::max(wait, milliseconds::zero())});
    }
    if (!sent) {
      Error e = sent.error();
      e.message = redact(std::move(e.message), *token);
      return e;
    }
    HttpResponse& response = *sent;
    if (response.status == 401 && authPass < kMaxTokenRefreshes) {
      token = tokens.tokenAfterRejection(*token);
      if (!token) return tokenUnavailable(token.error());
      continue;
    }
    if (response.status >= 200 && response.status <= 299) {
      Reply reply;
      reply.status = response.status;
      reply.requestId = response.header("request-id");
      if (call.expectJson) {
        auto body = parseJsonObject(response.body, what);
        if (!body) {
          Error e = body.error();
          e.httpStatus = response.status;
          e.requestId = reply.requestId;
          return e;
        }
        reply.body = std::move(*body);
      } else if (!isBlank(response.body) &&
                 nlohmann::json::parse(response.body, nullptr, false).is_discarded()) {
        // Graph answers these calls with no body (204) or JSON. Anything else (an HTML page
        // from a proxy or gateway) is not Graph's answer: the call may not have taken effect,
        // so it must not count as done; the caller retries (the worker re-reads first).
        Error e = Error::transient("Graph answered HTTP " + std::to_string(response.status) +
                                   " with a body that is not JSON (" + what +
                                   "); the call may not have taken effect");
        e.httpStatus = response.status;
        e.requestId = reply.requestId;
        return e;
      }
      return reply;
    }
    Error e = parseGraphError(response, what, clock_.now());
    e.message = redact(std::move(e.message), *token);
    if (response.status == 401) {
      e.message +=
          "; freshly issued tokens were rejected too: check the app's Graph permissions and "
          "admin consent";
    }
    if (response.status == 429) {
      // One throttled worker holds back the whole tenant instead of every worker finding out.
      if (!e.retryAfter) e.retryAfter = backoff_.delay(attemptNo);
      limiter_.onThrottled(clock_.steadyNow() + *e.retryAfter);
    }
    return e;
  }
}

Result<GraphClient::Reply> GraphClient::execute(const Call& call) {
  const int maxAttempts = call.method == "GET" ? std::max(1, options_.maxGetAttempts) : 1;
  for (int attemptNo = 0;; ++attemptNo) {
    auto reply = attempt(call, attemptNo);
    if (reply || attemptNo + 1 >= maxAttempts) return reply;
    const Error& e = reply.error();
    if (e.kind != ErrorKind::kTransient || e.code == kCancelledCode) return reply;
    // Long waits go back to the worker, which persists the schedule instead of holding a thread.
    if (e.retryAfter && *e.retryAfter > options_.backoffCap) return reply;
    milliseconds wait{0};
    if (e.httpStatus == 429) {
      wait = milliseconds::zero();  // the limiter's tenant pause makes the next reserve() wait
    } else if (e.retryAfter) {
      wait = *e.retryAfter;
    } else {
      wait = backoff_.delay(attemptNo);
    }
    if (wait > milliseconds::zero() && !sleeper_.sleepFor(wait)) return cancelled();
  }
}

Status GraphClient::forEachPage(const Call& first,
                                const std::function<Result<bool>(Reply&)>& onPage) {
  Call call = first;
  for (size_t page = 0; page < kMaxPages; ++page) {
    auto reply = execute(call);
    if (!reply) return reply.error();
    // Read the link before the callback may move the body away.
    std::string next;
    if (reply->body.is_object()) {
      auto it = reply->body.find("@odata.nextLink");
      if (it != reply->body.end() && it->is_string()) next = it->get<std::string>();
    }
    auto more = onPage(*reply);
    if (!more) return more.error();
    if (!*more || next.empty()) return Ok{};
    auto nextUrl = parseUrl(next);
    if (!nextUrl || nextUrl->origin() != baseOrigin_) {
      return Error::permanent("Graph returned an @odata.nextLink outside " + baseOrigin_ +
                              "; refusing to send the token there (" +
                              describe(call.method, call.url) + ")");
    }
    if (next == call.url) {
      return Error::permanent("Graph returned an @odata.nextLink to the same page (" +
                              describe(call.method, call.url) + ")");
    }
    call.url = std::move(next);  // verbatim: the link carries the server's own paging state
  }
  return Error::permanent("Graph returned more than " + std::to_string(kMaxPages) + " pages for " +
                          describe(first.method, first.url));
}

Result<CatalogApp> GraphClient::getCatalogApp(const std::string& idOrExternalId) {
  for (const char* field : {"id", "externalId"}) {
    Call call;
    call.operation = "getCatalogApp";
    call.url = options_.baseUrl + "/appCatalogs/teamsApps?$filter=" +
               encodeQueryValue(std::string(field) + " eq " + odataString(idOrExternalId)) +
               "&$expand=" + encodeQueryValue(kDefinitionsExpand);
    std::optional<CatalogApp> found;
    auto status = forEachPage(call, [&](Reply& reply) -> Result<bool> {
      auto page = pageFromJson(std::move(reply.body), describe(call.method, call.url));
      if (!page) return page.error();
      if (page->items.empty()) return true;
      auto app = catalogAppFromJson(page->items.front());
      if (!app) return app.error();
      found = std::move(*app);
      return false;
    });
    if (!status) return status.error();
    if (found) return std::move(*found);
  }
  Error e = Error::permanent("no app in the tenant catalog has id or externalId '" +
                             idOrExternalId + "'; check the app id (catalog or manifest id)");
  e.httpStatus = 404;
  e.code = "NotFound";
  return e;
}

Result<std::vector<CatalogApp>> GraphClient::listOrganizationApps() {
  Call call;
  call.operation = "listOrganizationApps";
  call.url = options_.baseUrl + "/appCatalogs/teamsApps?$filter=" +
             encodeQueryValue("distributionMethod eq 'organization'") +
             "&$expand=" + encodeQueryValue(kDefinitionsExpand);
  std::vector<CatalogApp> apps;
  auto status = forEachPage(call, [&](Reply& reply) -> Result<bool> {
    auto page = pageFromJson(std::move(reply.body), describe(call.method, call.url));
    if (!page) return page.error();
    for (const auto& item : page->items) {
      auto app = catalogAppFromJson(item);
      if (!app) return app.error();
      apps.push_back(std::move(*app));
    }
    return true;
  });
  if (!status) return status.error();
  return apps;
}

std::string GraphClient::firstTeamsPageUrl() const {
  return options_.baseUrl + (teamsPageSizeRefused_ ? kTeamsFirstPageDefault : kTeamsFirstPage);
}

bool GraphClient::pageSizeRefused(const std::string& url, const Error& e) {
  return e.httpStatus == 400 && url == options_.baseUrl + kTeamsFirstPage &&
         !teamsPageSizeRefused_.exchange(true);
}

Status GraphClient::forEachTeamPage(
    const std::function<bool(const std::vector<std::string>& teamIds)>& onPage) {
  Call call;
  call.operation = "listTeams";
  call.url = firstTeamsPageUrl();
  bool delivered = false;
  auto onReply = [&](Reply& reply) -> Result<bool> {
    delivered = true;
    auto page = pageFromJson(std::move(reply.body), describe(call.method, call.url));
    if (!page) return page.error();
    auto ids = teamIdsFromPage(*page);
    if (!ids) return ids.error();
    return onPage(*ids);
  };
  Status status = forEachPage(call, onReply);
  if (!status && !delivered && pageSizeRefused(call.url, status.error())) {
    call.url = firstTeamsPageUrl();
    status = forEachPage(call, onReply);
  }
  return status;
}

Result<TeamPage> GraphClient::teamsPage(const std::string& cursor) {
  Call call;
  call.operation = "listTeams";
  call.url = firstTeamsPageUrl();
  if (!cursor.empty()) {
    // The cursor may have been persisted by an older run: the same-origin rule still holds.
    auto parsed = parseUrl(cursor);
    if (!parsed || parsed->origin() != baseOrigin_) {
      return Error::permanent("the saved GET /teams cursor is not a link on " + baseOrigin_ +
                              "; refusing to send the token there: start the scan over");
    }
    call.url = cursor;  // verbatim: the link carries the server's own paging state
  }
  auto reply = execute(call);
  if (!reply && pageSizeRefused(call.url, reply.error())) {
    call.url = firstTeamsPageUrl();
    reply = execute(call);
  }
  if (!reply) {
    Error e = reply.error();
    if (!cursor.empty() && e.httpStatus == 400) {
      // A stale skip token will not start working again: the caller starts over.
      e.kind = ErrorKind::kPermanent;
      e.message += "; the saved paging cursor is no longer accepted: start the scan over";
    }
    return e;
  }
  auto page = pageFromJson(std::move(reply->body), describe(call.method, call.url));
  if (!page) return page.error();
  auto ids = teamIdsFromPage(*page);
  if (!ids) return ids.error();
  if (!page->nextLink.empty() && page->nextLink == call.url) {
    return Error::permanent("Graph returned an @odata.nextLink to the same page (" +
                            describe(call.method, call.url) + ")");
  }
  return TeamPage{std::move(*ids), std::move(page->nextLink)};
}

Result<std::vector<TeamInstallation>> GraphClient::listTeamInstallations(
    const std::string& teamId, const std::string& teamsAppId) {
  Call call;
  call.operation = "listTeamInstallations";
  call.teamId = teamId;
  call.url = options_.baseUrl + "/teams/" + encodePathSegment(teamId) +
             "/installedApps?$expand=" + encodeQueryValue("teamsApp,teamsAppDefinition") +
             "&$filter=" + encodeQueryValue("teamsApp/id eq " + odataString(teamsAppId));
  return collectInstallations(call, teamId);
}

Result<std::vector<TeamInstallation>> GraphClient::listTeamInstallations(
    const std::string& teamId) {
  Call call;
  call.operation = "listTeamInstallations";
  call.teamId = teamId;
  call.url = options_.baseUrl + "/teams/" + encodePathSegment(teamId) +
             "/installedApps?$expand=" + encodeQueryValue("teamsApp,teamsAppDefinition");
  return collectInstallations(call, teamId);
}

Result<std::vector<TeamInstallation>> GraphClient::collectInstallations(const Call& call,
                                                                        const std::string& teamId) {
  std::vector<TeamInstallation> installations;
  auto status = forEachPage(call, [&](Reply& reply) -> Result<bool> {
    auto page = pageFromJson(std::move(reply.body), describe(call.method, call.url));
    if (!page) return page.error();
    for (const auto& item : page->items) {
      auto installation = installationFromJson(item, options_.tenantId, teamId);
      if (!installation) return installation.error();
      installations.push_back(std::move(*installation));
    }
    return true;
  });
  if (!status) return status.error();
  return installations;
}

Result<TeamInstallation> GraphClient::getInstallation(const std::string& teamId,
                                                      const std::string& installationId) {
  Call call;
  call.operation = "getInstallation";
  call.teamId = teamId;
  call.url = options_.baseUrl + "/teams/" + encodePathSegment(teamId) + "/installedApps/" +
             encodePathSegment(installationId) +
             "?$expand=" + encodeQueryValue("teamsApp,teamsAppDefinition");
  auto reply = execute(call);
  if (!reply) return reply.error();
  return installationFromJson(reply->body, options_.tenantId, teamId);
}

Result<UpgradeResult> GraphClient::upgrade(const std::string& teamId,
                                           const std::string& installationId,
                                           const std::optional<std::vector<RscPermission>>& consent,
                                           TokenSource* tokens) {
  Call call;
  call.operation = "upgrade";
  call.method = "POST";
  call.budget = Budget::kPost;
  call.teamId = teamId;
  call.expectJson = false;
  call.tokens = tokens;
  call.url = options_.baseUrl + "/teams/" + encodePathSegment(teamId) + "/installedApps/" +
             encodePathSegment(installationId) + "/upgrade";
  if (consent) call.body = consentBody(*consent);
  auto reply = execute(call);
  if (!reply) return reply.error();
  return UpgradeResult{reply->status, reply->requestId};
}

Result<GraphSubscription> GraphClient::createSubscription(const SubscriptionSpec& spec) {
  Call call;
  call.operation = "createSubscription";
  call.method = "POST";
  call.url = options_.baseUrl + "/subscriptions";
  call.body = subscriptionBody(spec);
  call.timeout = kSubscriptionHandshakeTimeout;
  auto reply = execute(call);
  // Graph may quote the request back (e.g. a clientState over its length limit).
  auto hideClientState = [&](Error e) {
    e.message = redact(std::move(e.message), spec.clientState);
    return e;
  };
  if (!reply) return hideClientState(reply.error());
  auto subscription = subscriptionFromJson(reply->body);
  if (!subscription) return hideClientState(subscription.error());
  return subscription;
}

Result<std::vector<GraphSubscription>> GraphClient::listSubscriptions() {
  Call call;
  call.operation = "listSubscriptions";
  call.url = options_.baseUrl + "/subscriptions";
  std::vector<GraphSubscription> subscriptions;
  auto status = forEachPage(call, [&](Reply& reply) -> Result<bool> {
    auto page = pageFromJson(std::move(reply.body), describe(call.method, call.url));
    if (!page) return page.error();
    for (const auto& item : page->items) {
      auto subscription = subscriptionFromJson(item);
      if (!subscription) return subscription.error();
      subscriptions.push_back(std::move(*subscription));
    }
    return true;
  });
  if (!status) return status.error();
  return subscriptions;
}

Result<GraphSubscription> GraphClient::renewSubscription(const std::string& id,
                                                         WallTime expiration) {
  Call call;
  call.operation = "renewSubscription";
  call.method = "PATCH";
  call.url = options_.baseUrl + "/subscriptions/" + encodePathSegment(id);
  call.body = subscriptionRenewalBody(expiration);
  auto reply = execute(call);
  if (!reply) return reply.error();
  return subscriptionFromJson(reply->body);
}

Status GraphClient::deleteSubscription(const std::string& id) {
  Call call;
  call.operation = "deleteSubscription";
  call.method = "DELETE";
  call.url = options_.baseUrl + "/subscriptions/" + encodePathSegment(id);
  call.expectJson = false;
  auto reply = execute(call);
  if (!reply) return reply.error();
  return Ok{};
}

Status GraphClient::reauthorizeSubscription(const std::string& id) {
  Call call;
  call.operation = "reauthorizeSubscription";
  call.method = "POST";
  call.url = options_.baseUrl + "/subscriptions/" + encodePathSegment(id) + "/reauthorize";
  call.expectJson = false;
  auto reply = execute(call);
  if (!reply) return reply.error();
  return Ok{};
}

}  // namespace appkeeper::graph
