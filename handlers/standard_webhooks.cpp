#include "handlers/standard_webhooks.h"

#include <charconv>
#include <stdexcept>

#include "handlers/base64.h"
#include "handlers/hmac.h"

namespace appkeeper::handlers {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

std::string signedContent(std::string_view id, std::string_view timestamp, std::string_view body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  return content;
}

// Unix seconds, digits only (the spec sends an integer; "+1", " 1" or "1.5" are not that).
std::optional<int64_t> parseUnixSeconds(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.front() == '-') return std::nullopt;
  return v;
}

}  // namespace

Result<WebhookKey> WebhookKey::fromSecret(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) != kSecretPrefix) {
    return Error::invalidInput("the catalog secret must look like whsec_<base64>: prefix missing");
  }
  auto key = base64Decode(secret.substr(kSecretPrefix.size()));
  if (!key) {
    return Error::invalidInput("the catalog secret must look like whsec_<base64>: not base64");
  }
  if (key->empty()) return Error::invalidInput("the catalog secret must not be empty");
  return WebhookKey(std::move(*key));
}

Status verifyStandardWebhook(const WebhookKey& key, const SignedDelivery& delivery, WallTime now) {
  if (!delivery.id) return Error::invalidInput("missing webhook-id header");
  if (!delivery.timestamp) return Error::invalidInput("missing webhook-timestamp header");
  if (!delivery.signature) return Error::invalidInput("missing webhook-signature header");
  if (delivery.id->empty() || delivery.id->size() > kMaxWebhookIdLength) {
    return Error::invalidInput("invalid webhook-id header");
  }
  auto sentAt = parseUnixSeconds(*delivery.timestamp);
  if (!sentAt) return Error::invalidInput("invalid webhook-timestamp header");
  auto nowSeconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  auto skew = std::chrono::seconds(*sentAt) - nowSeconds;
  if (skew > kWebhookTolerance || skew < -kWebhookTolerance) {
    return Error::invalidInput("timestamp outside the 5-minute tolerance");
  }

  const std::string expected =
      hmacSha256(key.bytes(), signedContent(*delivery.id, *delivery.timestamp, delivery.body));
  // Every entry is checked (no early exit) so timing does not tell which one matched.
  bool matched = false;
  std::string_view rest = *delivery.signature;
  while (!rest.empty()) {
    auto space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    auto comma = entry.find(',');
    if (comma == std::string_view::npos || entry.substr(0, comma) != "v1") continue;
    auto candidate = base64Decode(entry.substr(comma + 1));
    if (candidate && constantTimeEquals(*candidate, expected)) matched = true;
  }
  if (!matched) return Error::invalidInput("no signature matched");
  return Ok{};
}

std::string signStandardWebhook(const WebhookKey& key, std::string_view id,
                                std::string_view timestamp, std::string_view body) {
  return "v1," + base64Encode(hmacSha256(key.bytes(), signedContent(id, timestamp, body)));
}

std::string signStandardWebhook(const std::string& secret, const std::string& id,
                                const std::string& timestamp, const std::string& body) {
  auto key = WebhookKey::fromSecret(secret);
  if (!key) throw std::invalid_argument(key.error().message);
  return signStandardWebhook(*key, id, timestamp, body);
}

}  // namespace appkeeper::handlers
