// ingest_sign: pre-signed catalog publish events for the wrk script bench/ingest_catalog.lua
// (wrk's LuaJIT has no HMAC). Writes `count` lines "<webhook-id>\t<timestamp>\t<signature>",
// every webhook-id unique (the daemon answers a replayed id 200 "duplicate", not 202), all for
// the one body in --body-file, signed now: the daemon accepts them for 5 minutes.
//   ingest_sign --secret-file F --body-file B --count N --out FILE [--prefix P]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "bench/ingest_signer.h"

int main(int argc, char** argv) {
  std::string secretFile, bodyFile, out, prefix;
  unsigned long long count = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::string v = argv[i + 1];
    if (a == "--secret-file") {
      secretFile = v;
    } else if (a == "--body-file") {
      bodyFile = v;
    } else if (a == "--out") {
      out = v;
    } else if (a == "--prefix") {
      prefix = v;
    } else if (a == "--count") {
      count = std::strtoull(v.c_str(), nullptr, 10);
    }
  }
  if (secretFile.empty() || bodyFile.empty() || out.empty() || count == 0) {
    std::cerr << "usage: ingest_sign --secret-file F --body-file B --count N --out FILE "
                 "[--prefix P]\n";
    return 2;
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
  if (prefix.empty()) prefix = "bench-" + timestamp + "-" + std::to_string(::getpid());
  try {
    std::ifstream bodyIn(bodyFile);
    std::stringstream body;
    body << bodyIn.rdbuf();
    if (!bodyIn) throw std::runtime_error("cannot read " + bodyFile);
    const appkeeper::bench::IngestSigner signer(appkeeper::bench::readSecretFile(secretFile));
    std::ofstream file(out);
    for (unsigned long long i = 0; i < count; ++i) {
      const std::string id = prefix + "-" + std::to_string(i);
      file << id << '\t' << timestamp << '\t' << signer.sign(id, timestamp, body.str()) << '\n';
    }
    if (!file) throw std::runtime_error("cannot write " + out);
  } catch (const std::exception& e) {
    std::cerr << "ingest_sign: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
