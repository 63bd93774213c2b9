#include "graph/redact.h"

namespace appkeeper::graph {

std::string redact(std::string text, std::string_view secret) {
  if (secret.size() < 4) return text;
  constexpr std::string_view kMark = "[redacted]";
  for (size_t pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + kMark.size())) {
    text.replace(pos, secret.size(), kMark);
  }
  return text;
}

}  // namespace appkeeper::graph
