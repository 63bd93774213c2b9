// GraphClient: the typed Graph calls appkeeper makes, over an HttpTransport, with app-only tokens
// from a TokenSource, every request shaped by a shared RateLimiter.
//
// Behaviour (issue 3): tokens cached until shortly before expiry and refreshed on a 401 (twice at
// most per attempt: a refreshed token may be revoked in flight);
// paging follows @odata.nextLink verbatim; Graph errors are parsed into Error{httpStatus, code,
// innerCode, message, requestId, retryAfter}; a 429 sets a tenant-wide pause on the limiter for
// Retry-After (seconds or HTTP-date) so workers don't stampede; a request that slept for a
// slot handed out before that pause takes a new slot after it instead of sending into it.
// Idempotent GETs are retried a bounded number of times inside the client (429/5xx/timeouts/
// transient 400, Retry-After wins, exponential backoff with full jitter); the upgrade POST is
// never retried here: the worker owns that decision and persists it.
//
// Error kinds: 429, 5xx, 401-after-refresh-failed-transiently, transport errors and the
// transient 400 (400 without the consent inner code) -> kTransient; 403, 404, the consent 400
// and other 4xx -> kPermanent (graph/graph_error.h holds the table). A Retry-After longer than
// backoffCap is not slept inside the client: the error comes back with retryAfter set so the
// worker can reschedule. A call interrupted by the Sleeper (shutdown) returns kTransient with
// code kCancelledCode; a token that could not be had because the token endpoint failed
// transiently returns kTransient with code kTokenUnavailableCode. A 200 GET whose body is not JSON is kTransient, and so is a 2xx with a
// non-JSON body to a call that expects none (the upgrade: a proxy's page is not Graph's 204);
// JSON of an unexpected shape is kPermanent. @odata.nextLink is only followed on the origin of baseUrl (the bearer
// token never goes to another host). Tokens never appear in error messages.
//
// Thread contract: thread-safe; one GraphClient is shared by all workers. Borrowed references
// must outlive it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "common/teams_types.h"
#include "graph/backoff.h"
#include "graph/graph_observer.h"
#include "graph/http_transport.h"
#include "graph/rate_limiter.h"
#include "graph/sleeper.h"
#include "graph/token_source.h"

namespace appkeeper::graph {

// Error::code of a call that stopped because the Sleeper was cancelled (shutdown).
inline constexpr const char* kCancelledCode = "Cancelled";
// Error::code of a call that could not get a token because the token endpoint failed
// transiently (5xx, 429, temporarily_unavailable, timeout, reset): nothing was sent to Graph.
// The identity platform's own code stays in the message. An outage of the token endpoint is
// the tenant's, not one job's, so the worker does not count it as an attempt.
inline constexpr const char* kTokenUnavailableCode = "TokenUnavailable";

struct GraphClientOptions {
  std::string baseUrl;  // e.g. https://graph.microsoft.com/v1.0 (no trailing slash)
  std::string tenantId;
  std::chrono::milliseconds requestTimeout{30'000};
  int maxGetAttempts = 6;
  std::chrono::milliseconds backoffBase{500};
  std::chrono::milliseconds backoffCap{60'000};
  std::string userAgent = "appkeeper/0.1";
  // Told about every HTTP attempt (metrics); borrowed, may be null.
  GraphObserver* observer = nullptr;
};

// A Graph change-notification subscription (shared/graph-api.md 3.4). Times are UTC.
struct SubscriptionSpec {
  std::string resource;  // e.g. "/appCatalogs/teamsApps/{id}/installations"
  std::string changeType = "created,updated,deleted";
  std::string notificationUrl;
  std::string lifecycleNotificationUrl;
  std::string clientState;  // a secret: never logged, never in an error message
  WallTime expiration;
};

struct GraphSubscription {
  std::string id;
  std::string resource;
  std::string changeType;
  std::string notificationUrl;
  std::string lifecycleNotificationUrl;
  std::string applicationId;
  WallTime expiration;
};

// One page of GET /teams, for a scan that must survive restarts: `nextLink` is the cursor.
struct TeamPage {
  std::vector<std::string> teamIds;
  std::string nextLink;  // empty on the last page
};

struct UpgradeResult {
  int httpStatus = 0;  // 204 on success
  std::string requestId;
};

class GraphClient {
 public:
  GraphClient(GraphClientOptions options, HttpTransport& transport, TokenSource& tokens,
              RateLimiter& limiter, const Clock& clock, Sleeper& sleeper, Random& random);

  // The catalog app with every definition (id, version, publishingState, authorization):
  // GET /appCatalogs/teamsApps?$filter=id eq '..'&$expand=appDefinitions($select=id,version,
  // publishingState,authorization,teamsAppId). Falls back to externalId when no app has that id.
  // Not found -> kPermanent with httpStatus 404.
  Result<CatalogApp> getCatalogApp(const std::string& idOrExternalId);
  // Every app with distributionMethod eq 'organization' (definitions included).
  Result<std::vector<CatalogApp>> listOrganizationApps();
  // GET /teams, page by page (only ids are used). `onPage` returns false to stop early.
  Status forEachTeamPage(
      const std::function<bool(const std::vector<std::string>& teamIds)>& onPage);
  // GET /teams/{id}/installedApps?$expand=teamsApp,teamsAppDefinition&$filter=teamsApp/id eq '..'
  Result<std::vector<TeamInstallation>> listTeamInstallations(const std::string& teamId,
                                                              const std::string& teamsAppId);
  // GET /teams/{id}/installedApps/{iid}?$expand=teamsApp,teamsAppDefinition
  Result<TeamInstallation> getInstallation(const std::string& teamId,
                                           const std::string& installationId);
  // GET /teams/{id}/installedApps?$expand=teamsApp,teamsAppDefinition, every page: all apps
  // installed in the team (the reconciliation filters them by the watched set).
  Result<std::vector<TeamInstallation>> listTeamInstallations(const std::string& teamId);
  // One page of GET /teams ($select=id): `cursor` empty = the first page, else a nextLink
  // returned earlier (followed verbatim, same-origin rule as everywhere). A cursor Graph no
  // longer accepts (400) comes back kPermanent: the caller starts over.
  Result<TeamPage> teamsPage(const std::string& cursor);

  // Subscriptions (count against the GET budget; Graph does not throttle them like the Teams
  // APIs, but they are rare). Create blocks while Graph runs the validation handshake.
  Result<GraphSubscription> createSubscription(const SubscriptionSpec& spec);
  Result<std::vector<GraphSubscription>> listSubscriptions();  // every page
  // PATCH {"expirationDateTime": ...}; renewing also reauthorizes.
  Result<GraphSubscription> renewSubscription(const std::string& id, WallTime expiration);
  Status deleteSubscription(const std::string& id);  // 404 -> kPermanent, httpStatus 404
  Status reauthorizeSubscription(const std::string& id);

  // POST /teams/{id}/installedApps/{iid}/upgrade; body {"consentedPermissionSet":...} when
  // `consent` is set, no body otherwise. `tokens` overrides the app-only source (delegated).
  Result<UpgradeResult> upgrade(const std::string& teamId, const std::string& installationId,
                                const std::optional<std::vector<RscPermission>>& consent,
                                TokenSource* tokens = nullptr);

 private:
  struct Call;   // one logical request (graph_client.cpp)
  struct Reply;  // a 2xx answer with its parsed JSON body (graph_client.cpp)
  // GETs: retried up to maxGetAttempts on kTransient; other methods: one attempt.
  Result<Reply> execute(const Call& call);
  // Reserves the call's slot and sleeps until it; reserves again when a 429 paused the tenant
  // meanwhile. Returns the total wait, or nothing when the Sleeper was cancelled.
  std::optional<std::chrono::milliseconds> waitForSlot(const Call& call);
  // One attempt, including the token refreshes after a 401 (kMaxTokenRefreshes).
  Result<Reply> attempt(const Call& call, int attemptNo);
  // GETs `call` and every nextLink after it; `onPage` returns false to stop.
  Status forEachPage(const Call& first, const std::function<Result<bool>(Reply&)>& onPage);
  // Every page of an installedApps listing of `teamId` (both listTeamInstallations).
  Result<std::vector<TeamInstallation>> collectInstallations(const Call& call,
                                                             const std::string& teamId);
  Error cancelled() const;
  // The first page of GET /teams, with $top unless Graph refused it once.
  std::string firstTeamsPageUrl() const;
  // Whether `e`, the answer to `url`, is Graph refusing the $top of the first teams page for the
  // first time: then it is never asked for again, and the caller asks once more without it.
  bool pageSizeRefused(const std::string& url, const Error& e);

  GraphClientOptions options_;
  HttpTransport& transport_;
  TokenSource& tokens_;
  RateLimiter& limiter_;
  const Clock& clock_;
  Sleeper& sleeper_;
  Backoff backoff_;         // jitter from the injected Random
  SystemRandom ids_;        // client-request-id GUIDs: kept apart so tests can script the jitter
  std::string baseOrigin_;  // scheme://host:port of baseUrl; nextLinks must match it
  std::atomic<bool> teamsPageSizeRefused_{false};  // a 400 to GET /teams?$top=...
};

}  // namespace appkeeper::graph
