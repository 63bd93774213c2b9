// Standard Webhooks (standard-webhooks/standard-webhooks, spec/standard-webhooks.md) signature
// verification for catalog publish events, and the matching signer for tests and tools.
//
// Signed content is "{webhook-id}.{webhook-timestamp}.{body}", HMAC-SHA256 under the key that
// is the base64 after "whsec_" in the secret. webhook-signature is a space-separated list of
// "v1,<base64>" entries; other versions are ignored and any matching v1 entry accepts (senders
// list old and new signatures while rotating keys). The timestamp (Unix seconds) must be within
// 5 minutes of now in either direction, which bounds replays to what the webhook-id dedup keeps.
//
// Pure, thread-safe. Errors are kInvalidInput with a message for the sender (which header is
// missing, stale timestamp, no signature matched); no message ever contains key material.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/clock.h"
#include "common/result.h"

namespace appkeeper::handlers {

inline constexpr std::chrono::seconds kWebhookTolerance{5 * 60};
inline constexpr size_t kMaxWebhookIdLength = 256;

// A decoded "whsec_<base64>" secret. Holds key material: never log it.
class WebhookKey {
 public:
  // kInvalidInput when the text lacks the "whsec_" prefix, is not base64 or decodes to nothing;
  // the message names the problem, not the secret.
  static Result<WebhookKey> fromSecret(std::string_view secret);
  const std::string& bytes() const { return key_; }

 private:
  explicit WebhookKey(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

// The three headers as received (nullopt when absent) and the raw body.
struct SignedDelivery {
  std::optional<std::string_view> id;
  std::optional<std::string_view> timestamp;
  std::optional<std::string_view> signature;
  std::string_view body;
};

Status verifyStandardWebhook(const WebhookKey& key, const SignedDelivery& delivery, WallTime now);

// The "v1,<base64>" signature for one delivery.
std::string signStandardWebhook(const WebhookKey& key, std::string_view id,
                                std::string_view timestamp, std::string_view body);
// Same, from the secret text. Throws std::invalid_argument when `secret` is not
// "whsec_<base64>" (a tool or test bug, not an input to handle).
std::string signStandardWebhook(const std::string& secret, const std::string& id,
                                const std::string& timestamp, const std::string& body);

}  // namespace appkeeper::handlers
