// Fuzz target: the configuration file (daemon/config.h parseConfig, daemon/ini_file.h).
// Input: optional environment overrides first, one per line as "$ NAME=value", then the INI text.
// Each input is parsed for the inspection commands (no secrets read) and, when every secret
// reference is a bare credential name, for `serve` with $CREDENTIALS_DIRECTORY pointing at a
// private folder this target fills with valid and invalid secrets. References with a '/' are
// not followed: a fuzzer must not read /dev/stdin or a FIFO and hang.
//
// Properties: nothing throws; every error is one line starting with "config <file>"; a config
// accepted for serve carries its secrets and honours the documented cross-key rules.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/config.h"
#include "daemon/ini_file.h"
#include "fuzz/fuzz_input.h"

using namespace appkeeper;
using namespace appkeeper::daemon;

namespace {

// A private folder of credential files for the whole run, removed at exit.
class Credentials {
 public:
  Credentials() {
    std::string pattern = (std::filesystem::temp_directory_path() / "appkeeper-fuzz-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    write("client_secret", "s3cr3t-client\n");
    write("catalog_secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
    write("bad_catalog_secret", "not-a-webhook-secret\n");
    write("delegated_key", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
    write("short_key", "c2hvcnQ=\n");
    write("admin_token", "0123456789abcdef0123456789abcdef\n");
    write("short_token", "abc\n");
    write("empty", "\n");
  }
  ~Credentials() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& dir() const { return dir_; }

 private:
  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << content;
  }
  std::string dir_;
};

bool bareName(const std::string& reference) {
  return reference.find('/') == std::string::npos;
}

void checkError(const Error& e) {
  APPKEEPER_FUZZ_CHECK(e.kind == ErrorKind::kInvalidInput);
  APPKEEPER_FUZZ_CHECK(e.message.rfind("config ", 0) == 0);
  APPKEEPER_FUZZ_CHECK(e.message.find('\n') == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Credentials credentials;
  std::string_view text = fuzz::asText(data, size);
  Environment env;
  while (text.substr(0, 2) == "$ ") {
    std::string_view rest = text;
    std::string_view line = fuzz::takeLine(rest).substr(2);
    const size_t eq = line.find('=');
    if (eq != std::string_view::npos) {
      env.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    }
    text = rest;
  }
  const std::string path = credentials.dir() + "/appkeeper.ini";

  (void)IniFile::parse(text, path);

  ConfigLoadOptions inspect;
  inspect.forServe = false;
  env.erase("CREDENTIALS_DIRECTORY");
  const Result<Config> parsed = parseConfig(text, path, env, inspect);
  if (!parsed) {
    checkError(parsed.error());
    return 0;
  }
  if (!bareName(parsed->graph.clientSecretFile) || !bareName(parsed->catalogEvents.secretFile) ||
      !bareName(parsed->delegated.keyFile) || !bareName(parsed->admin.tokenFile)) {
    return 0;
  }

  env["CREDENTIALS_DIRECTORY"] = credentials.dir();
  for (bool needsCatalogSecret : {true, false}) {
    ConfigLoadOptions serve;
    serve.needsCatalogSecret = needsCatalogSecret;
    const Result<Config> config = parseConfig(text, path, env, serve);
    if (!config) {
      checkError(config.error());
      continue;
    }
    APPKEEPER_FUZZ_CHECK(!config->graph.clientSecret.empty());
    APPKEEPER_FUZZ_CHECK(!needsCatalogSecret || !config->catalogEvents.secret.empty());
    APPKEEPER_FUZZ_CHECK(!config->delegated.enabled() || config->delegated.key.size() == 32);
    APPKEEPER_FUZZ_CHECK(config->admin.tokenFile.empty() || config->admin.token.size() >= 16);
    APPKEEPER_FUZZ_CHECK(config->subscriptions.renewBefore < config->subscriptions.lifetime);
  }
  return 0;
}
