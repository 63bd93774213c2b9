#include "daemon/secret_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace appkeeper::daemon {
namespace {

// A secret is a short token; anything bigger is a wrong path (a binary, a log file).
constexpr size_t kMaxSecretBytes = 64 * 1024;

std::string trimmed(const std::string& s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<std::string> readSecret(const std::string& reference, const std::string& baseDir,
                               const std::optional<std::string>& credentialsDirectory) {
  if (reference.empty()) return Error::invalidInput("is empty: name a file holding the secret");
  std::string path;
  if (reference.find('/') != std::string::npos) {
    path = reference.front() == '/' || baseDir.empty() ? reference : baseDir + "/" + reference;
  } else {
    if (!credentialsDirectory || credentialsDirectory->empty()) {
      return Error::invalidInput("\"" + reference +
                                 "\" is a credential name, but $CREDENTIALS_DIRECTORY is not set "
                                 "(systemd LoadCredential=); give a path to the file instead");
    }
    path = *credentialsDirectory + "/" + reference;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::invalidInput("cannot read \"" + path + "\": " +
                               (errno != 0 ? std::strerror(errno) : "cannot open the file"));
  }
  std::string content;
  content.reserve(256);
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    content.append(buf, static_cast<size_t>(in.gcount()));
    if (content.size() > kMaxSecretBytes) {
      return Error::invalidInput("\"" + path + "\" is larger than 64 KiB: not a secret file");
    }
  }
  if (in.bad()) return Error::invalidInput("cannot read \"" + path + "\": read error");
  std::string secret = trimmed(content);
  if (secret.empty()) return Error::invalidInput("\"" + path + "\" is empty");
  return secret;
}

}  // namespace appkeeper::daemon
