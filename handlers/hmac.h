// The two cryptographic primitives the inbound checks need: HMAC-SHA256 (Standard Webhooks
// signatures, through OpenSSL) and a comparison of secrets whose running time does
// not depend on where the inputs differ (clientState, signatures).
//
// Pure functions, thread-safe. They do not fail for any input.
#pragma once

#include <string>
#include <string_view>

namespace appkeeper::handlers {

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmacSha256(std::string_view key, std::string_view data);

// True when a == b. Both sides are hashed to equal-length SHA-256 digests first and the digests
// compared without an early exit, so neither the position of the first difference nor the
// length of the expected secret shows in the timing of the comparison.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace appkeeper::handlers
