#include "emulator_test_support.h"

#include <catch2/catch.hpp>

#include "emulator/url_codec.h"

namespace appkeeper::emulator::testing {

Request makeRequest(const std::string& method, const std::string& target, const std::string& body,
                    const Headers& headers) {
  Request r;
  r.method = method;
  auto q = target.find('?');
  r.rawPath = target.substr(0, q);
  r.rawQuery = q == std::string::npos ? "" : target.substr(q + 1);
  r.path = percentDecode(r.rawPath, false).value_or(r.rawPath);
  if (auto query = parseQuery(r.rawQuery)) r.query = *query;
  r.headers["host"] = kHost;
  for (const auto& [k, v] : headers) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[lower] = v;
  }
  r.body = body;
  return r;
}

std::string header(const Response& r, const std::string& name) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (const auto& [k, v] : r.headers) {
    if (lower(k) == lower(name)) return v;
  }
  return "";
}

nlohmann::json body(const Response& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  INFO(r.body);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

std::string targetOf(const std::string& url) {
  const std::string origin = std::string("http://") + kHost;
  INFO(url);
  REQUIRE(url.rfind(origin, 0) == 0);
  return url.substr(origin.size());
}

std::string formBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += percentEncode(k) + "=" + percentEncode(v);
  }
  return out;
}

namespace {

std::unique_ptr<TenantModel> seeded(const TestOptions& o) {
  auto model = std::make_unique<TenantModel>(kTenant);
  REQUIRE(seedTenant(*model, {o.teams, o.seed}));
  return model;
}

}  // namespace

TestEmulator::TestEmulator(TestOptions options) : TestEmulator(seeded(options), options) {}

TestEmulator::TestEmulator(std::unique_ptr<TenantModel> model, TestOptions options) {
  EmulatorConfig config;
  config.clientId = kClientId;
  config.clientSecret = kSecret;
  config.settings.pageSize = options.pageSize;
  config.limits = options.limits;
  config.limits.enabled = options.throttle;
  config.seed = options.seed;
  config.subscriptions = false;
  core = std::make_unique<EmulatorCore>(config, std::move(model), clock, ids, nullptr);
}

Response TestEmulator::call(const std::string& method, const std::string& target,
                            const std::string& body, Headers headers) {
  return core->handle(makeRequest(method, target, body, headers));
}

std::string TestEmulator::token() {
  Response r = call("POST", std::string("/") + kTenant + "/oauth2/v2.0/token",
                    formBody({{"grant_type", "client_credentials"},
                              {"client_id", kClientId},
                              {"client_secret", kSecret},
                              {"scope", "https://graph.microsoft.com/.default"}}),
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return body(r).at("access_token").get<std::string>();
}

Response TestEmulator::graph(const std::string& method, const std::string& target,
                             const std::string& body, Headers headers) {
  if (!token_) token_ = token();
  headers.emplace_back("Authorization", "Bearer " + *token_);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return call(method, target, body, headers);
}

Response TestEmulator::control(const std::string& method, const std::string& path,
                               const nlohmann::json& body) {
  return call(method, path, body.is_null() ? "" : body.dump(),
              {{"Content-Type", "application/json"}});
}

App TestEmulator::app(const std::string& displayName) const {
  for (auto& a : core->model().catalog()) {
    if (a.displayName == displayName) return a;
  }
  FAIL("no app " << displayName);
  return {};
}

Installation TestEmulator::installationOf(const std::string& displayName) const {
  auto all = core->model().installations(app(displayName).id, "");
  REQUIRE(all);
  REQUIRE_FALSE(all->empty());
  return all->front();
}

}  // namespace appkeeper::emulator::testing
