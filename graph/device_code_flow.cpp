// DeviceCodeFlow (graph/delegated_tokens.h): the device authorization grant of
// shared/graph-api.md 4.2, as `appkeeper login` runs it.
#include <algorithm>

#include "graph/delegated_tokens.h"
#include "graph/graph_client.h"
#include "graph/id_token.h"
#include "graph/identity_form.h"
#include "graph/json_mapping.h"

namespace appkeeper::graph {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kDeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
// RFC 8628 §3.5: after slow_down the interval grows by 5 seconds for good.
constexpr seconds kSlowDownStep{5};
// The identity platform's defaults when an answer omits them; bounds for hostile values.
constexpr seconds kDefaultInterval{5};
constexpr seconds kMaxInterval{60};
constexpr seconds kDefaultExpiry{900};
constexpr seconds kMaxExpiry{3600};

// A whole number of seconds from a number or digit string; `fallback` otherwise, clamped to
// [1 s, cap].
seconds secondsField(const nlohmann::json& j, const char* key, seconds fallback, seconds cap) {
  int64_t value = fallback.count();
  auto it = j.is_object() ? j.find(key) : j.end();
  if (it != j.end() && it->is_number_integer()) {
    value = it->get<int64_t>();
  } else if (it != j.end() && it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (!s.empty() && s.size() <= 6 &&
        std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      value = std::stoll(s);
    }
  }
  return seconds(std::clamp<int64_t>(value, 1, cap.count()));
}

Error cancelledError() {
  Error e = Error::transient("the sign-in was interrupted: appkeeper is shutting down");
  e.code = kCancelledCode;
  return e;
}

Error expiredError() {
  Error e = Error::permanent(
      "the sign-in code expired before the sign-in was completed; run `appkeeper login` again");
  e.code = "expired_token";
  return e;
}

// An answer to a poll that ends the flow: the sentence says what happened and what to do.
Error finalPollError(const IdentityReply& reply, WallTime now) {
  Error e = identityError(reply, now);
  const std::string detail = identityErrorDetail(reply);
  if (e.code == "authorization_declined") {
    e.message = "the sign-in was declined by the user; run `appkeeper login` again to retry";
  } else if (e.code == "expired_token") {
    e.message = expiredError().message;
  } else if (e.code == "bad_verification_code") {
    e.message = "the identity platform did not recognise the device code " + detail +
                "; run `appkeeper login` again";
  } else {
    e.message = "the token endpoint refused the sign-in " + detail +
                ": check [graph] client_id and tenant, and that the app registration allows "
                "public client flows";
  }
  return e;
}

}  // namespace

DeviceCodeFlow::DeviceCodeFlow(DelegatedClient client, HttpTransport& transport, const Clock& clock,
                               Sleeper& sleeper)
    : client_(std::move(client)), transport_(transport), clock_(clock), sleeper_(sleeper) {}

Result<DeviceCodePrompt> DeviceCodeFlow::start() {
  auto reply = postIdentityForm(transport_, client_.deviceCodeUrl, client_.timeout,
                                {{"client_id", client_.clientId}, {"scope", client_.scope}},
                                "the device-code endpoint", "[delegated] device_code_url", {});
  if (!reply) return reply.error();
  if (!reply->succeeded()) {
    Error e = identityError(*reply, clock_.now());
    if (e.kind != ErrorKind::kTransient) {
      e.message = "the device-code endpoint refused the request " + identityErrorDetail(*reply) +
                  ": check [graph] client_id and tenant, [delegated] scope, and that the app "
                  "registration allows public client flows";
    } else {
      e.message = "the device-code endpoint is unavailable " + identityErrorDetail(*reply) +
                  "; try again later";
    }
    return e;
  }
  DeviceCodePrompt prompt;
  prompt.deviceCode = stringOrEmpty(reply->body, "device_code");
  prompt.userCode = stringOrEmpty(reply->body, "user_code");
  prompt.verificationUri = stringOrEmpty(reply->body, "verification_uri");
  prompt.message = stringOrEmpty(reply->body, "message");
  if (prompt.deviceCode.empty() || prompt.userCode.empty() || prompt.verificationUri.empty()) {
    Error e = Error::transient(
        "the device-code endpoint answered HTTP " + std::to_string(reply->response.status) +
        " without device_code, user_code and verification_uri; try again later");
    e.httpStatus = reply->response.status;
    return e;
  }
  prompt.expiresIn = secondsField(reply->body, "expires_in", kDefaultExpiry, kMaxExpiry);
  prompt.interval = secondsField(reply->body, "interval", kDefaultInterval, kMaxInterval);
  return prompt;
}

Result<DelegatedGrant> DeviceCodeFlow::poll(const DeviceCodePrompt& prompt,
                                            const std::function<void()>& onPending) {
  // Counted from the first poll rather than from start(): the gap is the time it takes to print
  // the prompt, and the identity platform answers expired_token itself if we overshoot.
  const SteadyTime deadline = clock_.steadyNow() + prompt.expiresIn;
  milliseconds interval = std::clamp(prompt.interval, seconds(1), kMaxInterval);
  // Every pass sleeps at least one second towards the deadline; the cap is a safety net.
  const int64_t maxPolls = std::max<int64_t>(prompt.expiresIn.count(), 1) + 1;
  for (int64_t polls = 0; polls < maxPolls; ++polls) {
    const SteadyTime now = clock_.steadyNow();
    if (now >= deadline) return expiredError();
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
    if (!sleeper_.sleepFor(std::min(interval, left))) return cancelledError();
    if (clock_.steadyNow() >= deadline) return expiredError();

    auto reply = postIdentityForm(transport_, client_.tokenUrl, client_.timeout,
                                  {{"grant_type", kDeviceCodeGrant},
                                   {"client_id", client_.clientId},
                                   {"device_code", prompt.deviceCode}},
                                  "the token endpoint", "[graph] token_url", {prompt.deviceCode});
    if (!reply) {
      if (reply.error().kind == ErrorKind::kTransient) continue;  // the code is still valid
      return reply.error();
    }
    if (reply->succeeded()) {
      auto issued = issuedTokenFromReply(*reply);
      if (!issued) return issued.error();
      DelegatedGrant grant;
      grant.accessToken = std::move(issued->accessToken);
      grant.refreshToken = std::move(issued->refreshToken);
      grant.scope = std::move(issued->scope);
      grant.account = accountFromIdToken(issued->idToken);
      grant.expiresIn = issued->lifetime;
      return grant;
    }
    const std::string code = identityErrorCode(*reply);
    if (code == "authorization_pending") {
      if (onPending) onPending();
      continue;
    }
    if (code == "slow_down") {
      interval += kSlowDownStep;
      continue;
    }
    Error e = identityError(*reply, clock_.now());
    if (e.kind == ErrorKind::kTransient) {
      // Throttled or an outage: wait what the endpoint asked for before the next poll.
      const SteadyTime after = clock_.steadyNow();
      if (e.retryAfter && *e.retryAfter > interval && after < deadline) {
        const auto extra = std::min(*e.retryAfter - interval,
                                    std::chrono::duration_cast<milliseconds>(deadline - after));
        if (!sleeper_.sleepFor(extra)) return cancelledError();
      }
      continue;
    }
    return finalPollError(*reply, clock_.now());
  }
  return expiredError();
}

}  // namespace appkeeper::graph
