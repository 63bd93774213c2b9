#include "graph/token_source.h"

#include <algorithm>
#include <nlohmann/json.hpp>
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
  auto it = j.find("error_codes");
  if (it != j.end() && it->is_array() && !it->empty() && it->front().is_number_integer()) {
    return " AADSTS" + std::to_string(it->front().get<int64_t>());
  }
  return {};
}

Error tokenError(const HttpResponse& response, const nlohmann::json& body, WallTime now) {
  const std::string code = stringOrEmpty(body, "error");
  const std::string status = "HTTP " + std::to_string(response.status);
  const std::string detail = "(" + (code.empty() ? status : code + ", " + status) +
                             (body.is_object() ? aadstsCode(body) : "") + ")";
  Error e;
  static const std::set<std::string> kTransientCodes{"temporarily_unavailable", "server_error"};
  if (response.status == 429 || response.status == 408 || response.status >= 500 ||
      kTransientCodes.count(code) != 0) {
    e = Error::transient("the token endpoint is unavailable " + detail + "; retrying later");
  } else if (code == "invalid_client") {
    e = Error::permanent(
        "the token endpoint rejected the client credentials (invalid_client): check [graph] "
        "client_id and the secret in client_secret_file");
  } else if (code == "unauthorized_client") {
    e = Error::permanent(
        "the token endpoint refused the client (unauthorized_client): check [graph] client_id "
        "and that the app is registered in the tenant of the token URL");
  } else if (code == "invalid_scope") {
    e = Error::permanent("the token endpoint rejected the scope " + detail +
                         ": the scope must be https://graph.microsoft.com/.default");
  } else if (code == "invalid_grant") {
    e = Error::permanent("the token endpoint rejected the grant " + detail +
                         ": check [graph] client_id, the client secret and the tenant");
  } else {
    e = Error::permanent("the token endpoint refused the request " + detail +
                         ": check the [graph] tenant, client_id and client_secret_file settings");
  }
  e.httpStatus = response.status;
  e.code = code;
  e.retryAfter = parseRetryAfter(response.header("Retry-After"), now);
  return e;
}

}  // namespace

ClientCredentialsTokenSource::ClientCredentialsTokenSource(ClientCredentials creds,
                                                           HttpTransport& transport,
                                                           const Clock& clock)
    : creds_(std::move(creds)), transport_(transport), clock_(clock) {}

Result<std::string> ClientCredentialsTokenSource::token(bool forceRefresh) {
  std::lock_guard lock(mu_);
  if (!forceRefresh && !token_.empty() && clock_.now() < refreshAt_) return token_;
  return refresh();
}

Result<std::string> ClientCredentialsTokenSource::tokenAfterRejection(const std::string& rejected) {
  std::lock_guard lock(mu_);
  // Another caller already replaced the rejected token while we waited for the lock.
  if (!token_.empty() && token_ != rejected && clock_.now() < refreshAt_) return token_;
  return refresh();
}

Result<std::string> ClientCredentialsTokenSource::refresh() {
  token_.clear();
  const WallTime requestedAt = clock_.now();
  HttpRequest request;
  request.method = "POST";
  request.url = creds_.tokenUrl;
  request.timeout = creds_.timeout;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body =
      "client_id=" + encodeFormValue(creds_.clientId) + "&scope=" + encodeFormValue(creds_.scope) +
      "&client_secret=" + encodeFormValue(creds_.clientSecret) + "&grant_type=client_credentials";
  auto sent = transport_.send(request);
  if (!sent) {
    Error e = sent.error();
    e.message = redact("could not reach the token endpoint: " + e.message, creds_.clientSecret);
    if (e.kind == ErrorKind::kInvalidInput) {
      e.kind = ErrorKind::kPermanent;
      e.message += "; check [graph] token_url";
    }
    return e;
  }
  const HttpResponse& response = *sent;
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (response.status < 200 || response.status > 299) {
    return tokenError(response, body, clock_.now());
  }
  const std::string access = stringOrEmpty(body, "access_token");
  const std::string type = stringOrEmpty(body, "token_type");
  if (access.empty()) {
    Error e = Error::transient("the token endpoint answered HTTP " +
                               std::to_string(response.status) + " without an access_token");
    e.httpStatus = response.status;
    return e;
  }
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    return Error::permanent("the token endpoint issued a '" + type.substr(0, 32) +
                            "' token; appkeeper needs a Bearer token");
  }
  const seconds life = lifetime(body);
  // Refresh 5 minutes early, or halfway for short-lived tokens (tests use 10 s ones).
  const seconds margin = std::min(kRefreshMargin, life / 2);
  token_ = access;
  refreshAt_ = requestedAt + life - margin;
  return token_;
}

}  // namespace appkeeper::graph
