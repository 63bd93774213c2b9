// Fuzz target: what Graph and the identity platform answer (graph/json_mapping.h,
// graph/graph_error.h, graph/identity_form.h, graph/id_token.h, graph/url.h).
// Input: the HTTP status on the first line ("200"), "name: value" header lines (Retry-After,
// request-id), an empty line, then the body. The body is read the way the client reads each
// answer: as an error answer, as a collection page whose items are catalog apps, installations
// and subscriptions (nextLink included), as one such entity, and as a token answer.
//
// Properties: nothing throws; every error answer yields an Error with the status and a one-line
// printable message; a Retry-After wait is never negative and never above the one-hour cap.
#include <charconv>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "graph/graph_client.h"
#include "graph/graph_error.h"
#include "graph/id_token.h"
#include "graph/identity_form.h"
#include "graph/json_mapping.h"
#include "graph/url.h"

using namespace appkeeper;
using namespace appkeeper::graph;

namespace {

const WallTime kNow = fromUnixMillis(1'700'000'000'000);

void readEntity(const nlohmann::json& item) {
  (void)catalogAppFromJson(item);
  (void)installationFromJson(item, "tenant-1", "team-1");
  if (auto sub = subscriptionFromJson(item)) APPKEEPER_FUZZ_CHECK(!sub->id.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest = fuzz::asText(data, size);
  const std::string_view statusLine = fuzz::takeLine(rest);
  HttpResponse response;
  response.status = 200;
  (void)std::from_chars(statusLine.data(), statusLine.data() + statusLine.size(),
                        response.status);
  for (auto& [name, value] : fuzz::takeHeaders(rest)) {
    response.headers.emplace_back(std::move(name), std::move(value));
  }
  response.body = std::string(rest);

  const Error error = parseGraphError(response, "GET /fuzz", kNow);
  APPKEEPER_FUZZ_CHECK(error.httpStatus == response.status);
  APPKEEPER_FUZZ_CHECK(error.message.find('\n') == std::string::npos);
  APPKEEPER_FUZZ_CHECK(error.message.find('\r') == std::string::npos);
  if (error.retryAfter) {
    APPKEEPER_FUZZ_CHECK(error.retryAfter->count() >= 0);
    APPKEEPER_FUZZ_CHECK(*error.retryAfter <= std::chrono::hours(1));
  }

  if (auto object = parseJsonObject(response.body, "GET /fuzz")) {
    readEntity(*object);
    if (auto page = pageFromJson(*object, "GET /fuzz")) {
      APPKEEPER_FUZZ_CHECK(page->items.is_array());
      for (const nlohmann::json& item : page->items) readEntity(item);
      if (!page->nextLink.empty()) {
        const std::string target = sanitizeRequestTarget(page->nextLink);
        for (char c : target) {
          APPKEEPER_FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 &&
                               static_cast<unsigned char>(c) < 0x7f);
        }
        if (auto url = parseUrl(page->nextLink)) {
          APPKEEPER_FUZZ_CHECK(url->scheme == "http" || url->scheme == "https");
          APPKEEPER_FUZZ_CHECK(!url->target.empty());
        }
      }
    }
  }

  IdentityReply reply;
  reply.response = response;
  reply.body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (reply.succeeded()) {
    if (auto token = issuedTokenFromReply(reply)) {
      APPKEEPER_FUZZ_CHECK(!token->accessToken.empty());
      APPKEEPER_FUZZ_CHECK(token->lifetime.count() >= 0 && token->lifetime.count() <= 86'400);
      (void)accountFromIdToken(token->idToken);
    }
  } else {
    const Error identity = identityError(reply, kNow);
    APPKEEPER_FUZZ_CHECK(identity.httpStatus == response.status);
    const std::string description = identityErrorDescription(reply, {"fuzz-secret"});
    APPKEEPER_FUZZ_CHECK(description.find("fuzz-secret") == std::string::npos);
    (void)identityErrorDetail(reply);
  }
  // The id_token reader on its own (a JWT: three base64url parts).
  (void)accountFromIdToken(response.body);
  return 0;
}
