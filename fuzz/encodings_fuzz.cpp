// Fuzz target: the small text codecs every untrusted value passes through: base64 (webhook
// secrets and signatures), RFC 3339 and Graph date-times, query strings, app versions, URLs.
// Input: arbitrary bytes; two-operand checks split it at the first newline.
//
// Properties: nothing throws; base64 round-trips both ways (decoding is canonical); a Graph
// date-time round-trips through its text form and every one the reader accepts is RFC 3339;
// version comparison is a consistent order; encoders emit only the characters they promise.
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/version.h"
#include "fuzz/fuzz_input.h"
#include "graph/graph_datetime.h"
#include "graph/url.h"
#include "handlers/base64.h"
#include "handlers/query_string.h"
#include "handlers/rfc3339.h"
#include "handlers/standard_webhooks.h"

using namespace appkeeper;

namespace {

std::string_view withoutPadding(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  return s;
}

int sign(int v) { return (v > 0) - (v < 0); }

bool unreservedOrEscape(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) continue;
    if (c != '%' || i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return false;
    }
    i += 2;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::asText(data, size);

  // base64: encode/decode are inverse, and only canonical text decodes.
  const std::string encoded = handlers::base64Encode(text);
  const auto decoded = handlers::base64Decode(encoded);
  APPKEEPER_FUZZ_CHECK(decoded && *decoded == text);
  if (const auto bytes = handlers::base64Decode(text)) {
    APPKEEPER_FUZZ_CHECK(withoutPadding(handlers::base64Encode(*bytes)) == withoutPadding(text));
  }
  (void)handlers::WebhookKey::fromSecret(text);

  // Date-times: what the Graph reader accepts is RFC 3339, and its own text form round-trips.
  if (graph::parseGraphDateTime(text)) APPKEEPER_FUZZ_CHECK(handlers::isRfc3339DateTime(text));
  (void)handlers::isRfc3339DateTime(text);
  if (size >= sizeof(uint64_t)) {
    uint64_t raw = 0;
    std::memcpy(&raw, data, sizeof raw);
    // Any instant from 1970 to the end of 2261 (what WallTime holds and the reader accepts).
    using namespace std::chrono;
    using Ticks = duration<int64_t, std::ratio<1, 10'000'000>>;  // Graph's 100 ns
    const auto end = duration_cast<nanoseconds>(sys_days{year{2262} / 1 / 1}.time_since_epoch());
    const WallTime t{nanoseconds(static_cast<int64_t>(raw % static_cast<uint64_t>(end.count())))};
    const auto back = graph::parseGraphDateTime(graph::formatGraphDateTime(t));
    APPKEEPER_FUZZ_CHECK(back.has_value());
    APPKEEPER_FUZZ_CHECK(*back == floor<Ticks>(t));
  }

  // Query strings: the path never holds the query; decoding never grows the text.
  const handlers::RequestTarget target = handlers::splitTarget(text);
  APPKEEPER_FUZZ_CHECK(target.path.find('?') == std::string::npos);
  APPKEEPER_FUZZ_CHECK(handlers::decodeQueryComponent(text).size() <= text.size());
  (void)handlers::parseQuery(target.rawQuery);

  // Versions: a total order on valid versions.
  std::string_view second = text;
  const std::string_view first = fuzz::takeLine(second);
  const auto ab = compareVersions(first, second);
  APPKEEPER_FUZZ_CHECK(ab.has_value() == (isValidVersion(first) && isValidVersion(second)));
  if (ab) {
    const auto ba = compareVersions(second, first);
    APPKEEPER_FUZZ_CHECK(ba && sign(*ba) == -sign(*ab));
    APPKEEPER_FUZZ_CHECK(compareVersions(first, first) == 0);
  }

  // URLs and their encoders.
  if (auto url = graph::parseUrl(text)) {
    APPKEEPER_FUZZ_CHECK(url->scheme == "http" || url->scheme == "https");
    APPKEEPER_FUZZ_CHECK(url->port != 0 && !url->target.empty());
  }
  APPKEEPER_FUZZ_CHECK(unreservedOrEscape(graph::encodePathSegment(text)));
  APPKEEPER_FUZZ_CHECK(unreservedOrEscape(graph::encodeFormValue(text)));
  (void)graph::encodeQueryValue(text);
  (void)graph::odataString(text);
  return 0;
}
