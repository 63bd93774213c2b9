// Fuzz target: signed publish events on POST /events/catalog (Standard Webhooks).
// Input: "name: value" header lines (webhook-id, webhook-timestamp, webhook-signature), an empty
// line, then the body. A signature entry spelled "auto" is replaced by the correct v1 signature
// under the fixed key, so the fuzzer gets past the HMAC check and reaches the event parser and
// the store; any other value is verified as sent. "now" is fuzz::kFuzzNowSeconds.
//
// Properties: nothing throws; a correctly signed delivery with a fresh timestamp is never
// refused for its signature; the body parser agrees with the route (202/200 only for events it
// accepts); the key never appears in a response.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "fuzz/fuzz_store.h"
#include "handlers/catalog_events.h"
#include "handlers/standard_webhooks.h"

using namespace appkeeper;
using namespace appkeeper::handlers;

namespace {

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kTenant[] = "tenant-1";

// "auto" entries of a space-separated signature list become the real signature.
std::string withSignatures(const std::string& header, const WebhookKey& key, std::string_view id,
                           std::string_view timestamp, std::string_view body, bool& replaced) {
  std::string out;
  std::string_view rest = header;
  bool first = true;
  while (true) {
    const size_t space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    if (!first) out += ' ';
    first = false;
    if (entry == "auto") {
      out += signStandardWebhook(key, id, timestamp, body);
      replaced = true;
    } else {
      out += entry;
    }
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::FuzzStore fixture;
  static const WebhookKey key = WebhookKey::fromSecret(kSecret).value();
  std::string_view rest = fuzz::asText(data, size);
  const fuzz::HeaderLines lines = fuzz::takeHeaders(rest);

  InboundRequest request;
  request.method = "POST";
  request.path = "/events/catalog";
  request.contentType = "application/json";
  request.body = std::string(rest);
  for (const auto& [name, value] : lines) request.headers.emplace(name, value);

  bool signedHere = false;
  if (auto it = request.headers.find("webhook-signature"); it != request.headers.end()) {
    const std::string id = request.headers.count("webhook-id") ? request.headers["webhook-id"] : "";
    const std::string ts =
        request.headers.count("webhook-timestamp") ? request.headers["webhook-timestamp"] : "";
    it->second = withSignatures(it->second, key, id, ts, request.body, signedHere);
  }

  const WallTime now = fixture.clock().now();
  const SignedDelivery delivery{request.header("webhook-id"), request.header("webhook-timestamp"),
                                request.header("webhook-signature"), request.body};
  const Status verified = verifyStandardWebhook(key, delivery, now);
  if (!verified && signedHere) {
    // A correct signature is never the reason for a refusal (stale time or a bad id may be).
    APPKEEPER_FUZZ_CHECK(verified.error().message != "no signature matched");
  }

  const Result<CatalogEvent> event = parseCatalogEvent(request.body, kTenant);
  if (event) {
    APPKEEPER_FUZZ_CHECK(event->tenantId == kTenant);
    APPKEEPER_FUZZ_CHECK(event->teamsAppId.empty() != event->externalId.empty());
  }

  store::Store& store = fixture.next([](store::Store&) {});
  const CatalogEventContext ctx{&key, kTenant, now};
  const InboundResponse response = handleCatalogEvent(request, ctx, store, fixture.logger());
  if (response.status == 200 || response.status == 202) {
    APPKEEPER_FUZZ_CHECK(verified.ok() && event.ok());
  } else {
    APPKEEPER_FUZZ_CHECK(response.status == 400 || response.status == 401 ||
                         response.status == 503);
  }
  APPKEEPER_FUZZ_CHECK(response.body.find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == std::string::npos);
  return 0;
}
