// Secret hygiene for error messages: replace every occurrence of a secret (client secret,
// bearer token) in text that may come back from a peer. Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace appkeeper::graph {

// `text` with each occurrence of `secret` replaced by "[redacted]"; secrets shorter than 4
// characters are left alone (they would match innocent text and are not real secrets).
std::string redact(std::string text, std::string_view secret);

}  // namespace appkeeper::graph
