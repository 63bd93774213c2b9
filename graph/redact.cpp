#include "graph/redact.h"

#include <vector>

namespace appkeeper::graph {
namespace {

constexpr std::string_view kMark = "[redacted]";
constexpr std::string_view kClipMarker = "...";
// A cut-off secret shorter than this is left alone: it could be innocent text, and this little
// of a random secret tells nobody much.
constexpr size_t kMinPartial = 8;

// Replaces a prefix of `secret` (kMinPartial or more characters, shorter than the secret) that
// ends where the text was clipped: at a "..." or at the very end.
void redactClippedPrefixes(std::string& text, std::string_view secret) {
  if (secret.size() <= kMinPartial) return;
  auto clippedAt = [&](size_t end) {
    for (size_t len = secret.size() - 1; len >= kMinPartial; --len) {
      if (end >= len && std::string_view(text).substr(end - len, len) == secret.substr(0, len)) {
        return len;
      }
    }
    return size_t{0};
  };
  // Right to left, so a replacement never moves a position still to be checked.
  std::vector<size_t> ends;
  for (size_t pos = text.find(kClipMarker); pos != std::string::npos;
       pos = text.find(kClipMarker, pos + 1)) {
    ends.push_back(pos);
  }
  ends.push_back(text.size());
  for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
    if (size_t len = clippedAt(*it); len > 0) text.replace(*it - len, len, kMark);
  }
}

}  // namespace

std::string redact(std::string text, std::string_view secret) {
  if (secret.size() < 4) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + kMark.size())) {
    text.replace(pos, secret.size(), kMark);
  }
  redactClippedPrefixes(text, secret);
  return text;
}

}  // namespace appkeeper::graph
