// Secret hygiene for error messages: replace every occurrence of a secret (client secret,
// bearer token) in text that may come back from a peer. Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace appkeeper::graph {

// `text` with each occurrence of `secret` replaced by "[redacted]"; secrets shorter than 4
// characters are left alone (they would match innocent text and are not real secrets).
// Peer text is often clipped before it gets here (graph_error.cpp keeps 300 characters and
// appends "..."), which can cut a quoted secret in two: a prefix of 8 or more of its characters
// ending at a "..." or at the end of `text` is replaced as well.
std::string redact(std::string text, std::string_view secret);

}  // namespace appkeeper::graph
