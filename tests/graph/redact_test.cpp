#include "graph/redact.h"

#include <catch2/catch.hpp>
#include <string>

using appkeeper::graph::redact;

TEST_CASE("every occurrence of a secret is replaced", "[graph][redact]") {
  CHECK(redact("token abc123xyz and abc123xyz again", "abc123xyz") ==
        "token [redacted] and [redacted] again");
  CHECK(redact("nothing here", "abc123xyz") == "nothing here");
  CHECK(redact("abc", "ab") == "abc");  // too short to be a secret
}

TEST_CASE("a secret cut off where peer text was clipped is replaced too", "[graph][redact]") {
  const std::string state = "cs-9f8e7d6c5b4a39281706";
  // graph_error.cpp keeps 300 characters of Graph's message and appends "...".
  const std::string clipped = "Graph answered 400 to createSubscription: clientState '" +
                              state.substr(0, 14) + "... [request-id r-1]";
  CHECK(redact(clipped, state) ==
        "Graph answered 400 to createSubscription: clientState '[redacted]... [request-id r-1]");
  CHECK(redact("ends with " + state.substr(0, 10), state) == "ends with [redacted]");
  // Fewer than 8 characters of it, or a prefix in the middle of the text, are left alone.
  CHECK(redact("x " + state.substr(0, 7) + "...", state) == "x " + state.substr(0, 7) + "...");
  CHECK(redact(state.substr(0, 12) + " and more", state) == state.substr(0, 12) + " and more");
  // Whole and cut-off occurrences in one text.
  CHECK(redact(state + " then " + state.substr(0, 9) + "...", state) ==
        "[redacted] then [redacted]...");
}
