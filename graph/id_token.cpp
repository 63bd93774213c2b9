#include "graph/id_token.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>

#include <istream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "graph/json_mapping.h"

namespace appkeeper::graph {
namespace {

constexpr size_t kMaxAccount = 256;

std::string base64UrlDecode(std::string_view text) {
  std::string padded(text);
  while (padded.size() % 4 != 0) padded.push_back('=');
  try {
    std::istringstream in(padded);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING);
    return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    return {};
  }
}

// Shown on a terminal and written to the audit: one printable line, bounded.
bool printable(const std::string& s) {
  if (s.size() > kMaxAccount) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

// The signature is not checked: the token came straight from the identity platform over the
// verified TLS connection that issued it, and the name is only displayed and audited, never
// used to decide anything (Graph checks the access token itself).
std::string accountFromIdToken(std::string_view idToken) {
  const size_t first = idToken.find('.');
  if (first == std::string_view::npos) return {};
  const size_t second = idToken.find('.', first + 1);
  if (second == std::string_view::npos) return {};
  const auto claims =
      nlohmann::json::parse(base64UrlDecode(idToken.substr(first + 1, second - first - 1)), nullptr,
                            /*allow_exceptions=*/false);
  for (const char* claim : {"preferred_username", "upn"}) {
    std::string account = stringOrEmpty(claims, claim);
    if (!account.empty() && printable(account)) return account;
  }
  return {};
}

}  // namespace appkeeper::graph
