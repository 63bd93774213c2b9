#include "bench/ingest_signer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <stdexcept>

namespace appkeeper::bench {
namespace {

std::string base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

IngestSigner::IngestSigner(const std::string& secret) {
  const std::string prefix = "whsec_";
  if (secret.rfind(prefix, 0) != 0) throw std::invalid_argument("the secret lacks whsec_");
  const std::string text = secret.substr(prefix.size());
  std::string key(3 * text.size() / 4 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n <= 0) throw std::invalid_argument("the secret is not base64 after whsec_");
  // EVP_DecodeBlock counts the '=' padding as zero bytes: drop them.
  size_t size = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  key.resize(size);
  key_ = std::move(key);
}

std::string IngestSigner::sign(const std::string& id, const std::string& timestamp,
                               const std::string& body) const {
  const std::string content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macSize = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &macSize);
  return "v1," + base64(mac, macSize);
}

std::string readSecretFile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) throw std::runtime_error("cannot read " + path);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) {
    line.pop_back();
  }
  return line;
}

}  // namespace appkeeper::bench
