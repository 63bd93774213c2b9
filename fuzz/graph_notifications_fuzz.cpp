// Fuzz target: what Graph (or anyone) POSTs to /graph/notifications and /graph/lifecycle.
// Input: the request target on the first line ("/graph/notifications?validationToken=abc"),
// the body after it. The target goes through the query-string decoding the inbound adapter does,
// then the validation handshake, the batch parser, the resource parser, and the whole route
// function over a real (in-memory) store.
//
// Properties: nothing throws; a handshake echoes exactly the decoded token; a batch that parses
// is a list of objects; every delivery answers 202, 400 or 503.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "fuzz/fuzz_store.h"
#include "handlers/graph_notifications.h"
#include "handlers/query_string.h"

using namespace appkeeper;
using namespace appkeeper::handlers;

namespace {

// The corpus names these; fuzz::FuzzStore puts them in every fresh store.
constexpr char kSubscriptionId[] = "9f9d1ed0-c9cc-42e7-8d80-a7fc4b0cda3c";
constexpr char kClientState[] = "fuzz-client-state";
constexpr char kPendingClientState[] = "fuzz-pending-state";

void addSubscriptions(store::Store& store) {
  store::SubscriptionRecord sub;
  sub.id = kSubscriptionId;
  sub.resource = "/appCatalogs/teamsApps/app-1/installations";
  sub.clientState = kClientState;
  sub.expiration = fromUnixMillis(fuzz::kFuzzNowSeconds * 1000 + 86'400'000);
  sub.teamsAppId = "app-1";
  store::SubscriptionRecord pending = sub;
  pending.id = std::string(kPendingSubscriptionPrefix) + "nonce-1";
  pending.clientState = kPendingClientState;
  if (!store.putSubscription(sub) || !store.putSubscription(pending)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::FuzzStore fixture;
  std::string_view rest = fuzz::asText(data, size);
  const RequestTarget target = splitTarget(fuzz::takeLine(rest));

  InboundRequest request;
  request.method = "POST";
  request.path = target.path;
  request.query = parseQuery(target.rawQuery);
  request.contentType = "application/json";
  request.body = std::string(rest);

  if (auto handshake = validationHandshake(request)) {
    const std::string& token = request.query.at("validationToken");
    if (handshake->status == 200) {
      APPKEEPER_FUZZ_CHECK(handshake->body == token);
      APPKEEPER_FUZZ_CHECK(!token.empty() && token.size() <= kMaxValidationTokenBytes);
    } else {
      APPKEEPER_FUZZ_CHECK(handshake->status == 400);
    }
    return 0;
  }

  if (auto batch = parseNotificationBatch(request.body)) {
    for (const nlohmann::json& item : *batch) {
      APPKEEPER_FUZZ_CHECK(item.is_object());
      auto resource = item.find("resource");
      if (resource != item.end() && resource->is_string()) {
        const InstallationRef ref = parseInstallationResource(resource->get<std::string>());
        // An installation is only ever named under an app.
        APPKEEPER_FUZZ_CHECK(ref.installationId.empty() || !ref.teamsAppId.empty());
      }
    }
  }
  // The resource parser on its own, with the raw body as the resource text.
  const InstallationRef raw = parseInstallationResource(request.body);
  APPKEEPER_FUZZ_CHECK(raw.installationId.empty() || !raw.teamsAppId.empty());

  store::Store& store = fixture.next(addSubscriptions);
  const bool lifecycle = request.path.find("lifecycle") != std::string::npos;
  const InboundResponse response =
      lifecycle ? handleGraphLifecycle(request, store, fixture.logger())
                : handleGraphNotifications(request, store, fixture.logger());
  APPKEEPER_FUZZ_CHECK(response.status == 202 || response.status == 400 ||
                       response.status == 503);
  // The clientState is a secret: never echoed, whatever the delivery contained.
  APPKEEPER_FUZZ_CHECK(response.body.find(kClientState) == std::string::npos ||
                       request.body.find(kClientState) != std::string::npos);
  return 0;
}
