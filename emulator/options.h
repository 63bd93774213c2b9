// graph-emulator's command line, parsed once into a plain struct (`--name value` or
// `--name=value`). Every option, its default and meaning: usage() and docs/emulator.md.
// Pure functions; thread-safe. Errors: kInvalidInput with a message naming the option (main
// prints it and exits 2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace appkeeper::emulator {

struct Options {
  std::string bind = "127.0.0.1";
  uint16_t port = 0;  // 0: the OS picks a free port
  std::string tenantId = "11111111-1111-1111-1111-111111111111";
  std::string clientId = "22222222-2222-2222-2222-222222222222";
  std::string clientSecret = "emulator-secret";
  std::string clientSecretFile;  // wins over clientSecret (keeps the secret out of `ps`)
  size_t teams = 50;             // 0 by default when --scenario is given
  bool teamsGiven = false;
  uint64_t seed = 1;
  std::string scenarioFile;
  std::string stateFile;
  size_t pageSize = 20;
  int tokenLifetimeSeconds = 3599;
  int deviceCodeIntervalSeconds = 5;    // "interval" of device codes (0: poll at will)
  int deviceCodeLifetimeSeconds = 900;  // "expires_in" of device codes
  int latencyMs = 0;
  int latencyJitterMs = 0;
  int getPerSecond = 30;
  int postPerSecond = 30;
  int perTeamPerSecond = 4;
  bool throttle = true;
  bool allowAppOnlyRsc = false;
  std::string faultsFile;  // JSON as for PUT /_emulator/faults
  int hangMs = 60000;
  int retryAfterSeconds = 1;
  bool subscriptions = true;
  int threads = 64;
  // HTTPS: with tlsCertFile/tlsKeyFile (both or neither; they imply tls) or a CA and server
  // certificate made at start (self_signed_cert.h). tlsCaOut receives what clients should trust.
  bool tls = false;
  std::string tlsCertFile;
  std::string tlsKeyFile;
  std::string tlsCaOut;
  std::string notifyCaFile;  // extra trust anchor for https notification deliveries
  std::string logLevel = "warn";
  bool help = false;
};

Result<Options> parseOptions(const std::vector<std::string>& args);
std::string usage();

}  // namespace appkeeper::emulator
