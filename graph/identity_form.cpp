#include "graph/identity_form.h"

#include <algorithm>
#include <set>

#include "graph/json_mapping.h"
#include "graph/redact.h"
#include "graph/retry_after.h"
#include "graph/url.h"

namespace appkeeper::graph {
namespace {

using std::chrono::seconds;

constexpr seconds kRefreshMargin{5 * 60};
// When the endpoint omits expires_in, assume the identity platform's usual hour.
constexpr seconds kDefaultLifetime{3600};
constexpr size_t kMaxDescription = 300;

// expires_in is a number in v2.0 answers but a string in some v1.0-style ones. Clamped to
// [0, 1 day] so a hostile value cannot overflow time arithmetic.
seconds lifetime(const nlohmann::json& j) {
  constexpr double kMax = 24 * 3600;
  auto it = j.is_object() ? j.find("expires_in") : j.end();
  double value = static_cast<double>(kDefaultLifetime.count());
  if (it == j.end()) {
    // keep the default
  } else if (it->is_number()) {
    value = it->get<double>();
  } else if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (!s.empty() && s.size() <= 9 &&
        std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      value = static_cast<double>(std::stoll(s));
    }
  }
  if (!(value > 0)) value = 0;  // also NaN
  return seconds(static_cast<int64_t>(std::min(value, kMax)));
}

// The first AADSTS number, which tells an admin exactly what failed without quoting the
// (untrusted, possibly echoing) description.
std::string aadstsCode(const nlohmann::json& j) {
  if (!j.is_object()) return {};
  auto it = j.find("error_codes");
  if (it != j.end() && it->is_array() && !it->empty() && it->front().is_number_integer()) {
    return " AADSTS" + std::to_string(it->front().get<int64_t>());
  }
  return {};
}

}  // namespace

std::string encodeForm(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += encodeFormValue(value);
  }
  return out;
}

Result<IdentityReply> postIdentityForm(HttpTransport& transport, const std::string& url,
                                       std::chrono::milliseconds timeout, const FormFields& fields,
                                       std::string_view endpoint, std::string_view urlSetting,
                                       std::initializer_list<std::string_view> secrets) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.timeout = timeout;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = encodeForm(fields);
  auto sent = transport.send(request);
  if (!sent) {
    Error e = sent.error();
    e.message = "could not reach " + std::string(endpoint) + ": " + e.message;
    for (auto secret : secrets) e.message = redact(std::move(e.message), secret);
    if (e.kind == ErrorKind::kInvalidInput) {
      e.kind = ErrorKind::kPermanent;
      e.message += "; check " + std::string(urlSetting);
    }
    return e;
  }
  IdentityReply reply;
  reply.response = std::move(*sent);
  reply.body = nlohmann::json::parse(reply.response.body, nullptr, /*allow_exceptions=*/false);
  return reply;
}

std::string identityErrorCode(const IdentityReply& reply) {
  return stringOrEmpty(reply.body, "error");
}

std::string identityErrorDetail(const IdentityReply& reply) {
  const std::string code = identityErrorCode(reply);
  const std::string status = "HTTP " + std::to_string(reply.response.status);
  return "(" + (code.empty() ? status : code + ", " + status) + aadstsCode(reply.body) + ")";
}

Error identityError(const IdentityReply& reply, WallTime now) {
  const int status = reply.response.status;
  const std::string code = identityErrorCode(reply);
  static const std::set<std::string> kTransientCodes{"temporarily_unavailable", "server_error"};
  Error e;
  if (status == 429 || status == 408 || status >= 500 || kTransientCodes.count(code) != 0) {
    e = Error::transient("the token endpoint is unavailable " + identityErrorDetail(reply) +
                         "; retrying later");
  } else {
    e = Error::permanent("the token endpoint refused the request " + identityErrorDetail(reply));
  }
  e.httpStatus = status;
  e.code = code;
  e.retryAfter = parseRetryAfter(reply.response.header("Retry-After"), now);
  return e;
}

std::string identityErrorDescription(const IdentityReply& reply,
                                     std::initializer_list<std::string_view> secrets) {
  std::string text = stringOrEmpty(reply.body, "error_description");
  // "AADSTS70008: The provided authorization code or refresh token has expired ...\r\n
  // Trace ID: ... Correlation ID: ...": the ids help nobody reading a log line.
  if (auto cut = text.find("Trace ID"); cut != std::string::npos) text.resize(cut);
  for (auto secret : secrets) text = redact(std::move(text), secret);
  std::string out;
  for (char c : std::string_view(text).substr(0, kMaxDescription)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? ' ' : c);
  }
  if (text.size() > kMaxDescription) out += "...";
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Result<IssuedToken> issuedTokenFromReply(const IdentityReply& reply) {
  IssuedToken issued;
  issued.accessToken = stringOrEmpty(reply.body, "access_token");
  const std::string type = stringOrEmpty(reply.body, "token_type");
  if (issued.accessToken.empty()) {
    Error e = Error::transient("the token endpoint answered HTTP " +
                               std::to_string(reply.response.status) + " without an access_token");
    e.httpStatus = reply.response.status;
    return e;
  }
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    return Error::permanent("the token endpoint issued a '" + type.substr(0, 32) +
                            "' token; appkeeper needs a Bearer token");
  }
  issued.refreshToken = stringOrEmpty(reply.body, "refresh_token");
  issued.scope = stringOrEmpty(reply.body, "scope");
  issued.idToken = stringOrEmpty(reply.body, "id_token");
  issued.lifetime = lifetime(reply.body);
  return issued;
}

WallTime tokenRefreshTime(WallTime requestedAt, seconds life) {
  // Refresh 5 minutes early, or halfway for short-lived tokens (tests use 10 s ones).
  return requestedAt + life - std::min(kRefreshMargin, life / 2);
}

}  // namespace appkeeper::graph
