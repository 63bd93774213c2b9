// Standard base64 (RFC 4648 §4, alphabet A-Z a-z 0-9 + /) for Standard Webhooks keys and
// signatures. Decoding is strict: any byte outside the alphabet, misplaced '=' or an impossible
// length is a failure, so a mistyped secret is reported instead of silently turning into a
// different key. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace appkeeper::handlers {

// Padded output ("=" to a multiple of 4), no line breaks.
std::string base64Encode(std::string_view bytes);

// Accepts padded and unpadded input; nullopt when the text is not base64.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace appkeeper::handlers
