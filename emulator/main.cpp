// graph-emulator: parses the command line, builds the tenant (state file, or seed + scenario),
// serves until SIGINT/SIGTERM, then saves the state file if asked. Exit codes: 0 clean stop,
// 1 could not start, 2 bad command line.
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "common/clock.h"
#include "common/random.h"
#include "emulator/emulator_core.h"
#include "emulator/emulator_server.h"
#include "emulator/notifier.h"
#include "emulator/options.h"
#include "emulator/prng.h"
#include "emulator/scenario.h"
#include "emulator/seed.h"
#include "emulator/self_signed_cert.h"
#include "emulator/tls_contexts.h"

namespace emu = appkeeper::emulator;

namespace {

int fail(int code, const std::string& message) {
  std::cerr << "graph-emulator: " << message << "\n";
  return code;
}

appkeeper::Result<std::string> readSecret(const std::string& path) {
  std::ifstream in(path);
  if (!in) return appkeeper::Error::invalidInput("cannot read --client-secret-file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty())
    return appkeeper::Error::invalidInput("--client-secret-file " + path + " is empty");
  return s;
}

appkeeper::Result<std::unique_ptr<emu::TenantModel>> buildTenant(const emu::Options& o) {
  auto model = std::make_unique<emu::TenantModel>(o.tenantId);
  // Ids for scenario entries without one: a stream of their own, so adding a scenario never
  // changes the seeded ids.
  emu::SplitMix64 ids(o.seed ^ 0x5ce7a710ULL);
  if (!o.stateFile.empty() && std::filesystem::exists(o.stateFile)) {
    if (auto s = emu::loadScenarioFile(*model, o.stateFile, ids); !s) return s.error();
    return model;
  }
  if (auto s = emu::seedTenant(*model, {o.teams, o.seed}); !s) return s.error();
  if (!o.scenarioFile.empty()) {
    if (auto s = emu::loadScenarioFile(*model, o.scenarioFile, ids); !s) return s.error();
  }
  return model;
}

appkeeper::Result<emu::FaultSettings> initialFaults(const emu::Options& o) {
  emu::FaultSettings base;
  base.hang = std::chrono::milliseconds(o.hangMs);
  base.retryAfterSeconds = o.retryAfterSeconds;
  if (o.faultsFile.empty()) return base;
  std::ifstream in(o.faultsFile);
  if (!in) return appkeeper::Error::invalidInput("cannot read --faults " + o.faultsFile);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) return appkeeper::Error::invalidInput(o.faultsFile + " is not valid JSON");
  auto parsed = emu::faultSettingsFromJson(j, base);
  if (!parsed) return appkeeper::Error::invalidInput(o.faultsFile + ": " + parsed.error().message);
  return parsed;
}

// --tls: the server's certificate chain and key (given, or made now), and the certificate
// clients should trust written to --tls-ca-out.
appkeeper::Status setUpTls(const emu::Options& o, appkeeper::WallTime now,
                           emu::ServerOptions& server) {
  std::string trustPem;
  if (!o.tlsCertFile.empty()) {
    auto files = emu::readServerTlsFiles(o.tlsCertFile, o.tlsKeyFile);
    if (!files) return files.error();
    auto last = emu::lastCertificatePem(files->certificateChainPem);
    if (!last) return appkeeper::Error::invalidInput("--tls-cert " + o.tlsCertFile + ": " +
                                                     last.error().message);
    trustPem = std::move(*last);
    server.tlsCertificateChainPem = std::move(files->certificateChainPem);
    server.tlsPrivateKeyPem = std::move(files->privateKeyPem);
  } else {
    auto material = emu::generateTlsMaterial(emu::loopbackCertificateSpec(now));
    if (!material) return material.error();
    trustPem = std::move(material->ca.certificatePem);
    server.tlsCertificateChainPem = std::move(material->server.certificatePem);
    server.tlsPrivateKeyPem = std::move(material->server.privateKeyPem);
  }
  if (!o.tlsCaOut.empty()) {
    if (auto s = emu::writePemFile(o.tlsCaOut, trustPem, false); !s) return s.error();
  }
  return appkeeper::Ok{};
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals before any thread exists, so every thread inherits the mask and
  // only sigwait() below receives them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  try {
    auto parsed = emu::parseOptions(std::vector<std::string>(argv + 1, argv + argc));
    if (!parsed) return fail(2, parsed.error().message + " (see --help)");
    emu::Options o = std::move(*parsed);
    if (o.help) {
      std::cout << emu::usage();
      return 0;
    }
    if (!o.clientSecretFile.empty()) {
      auto secret = readSecret(o.clientSecretFile);
      if (!secret) return fail(2, secret.error().message);
      o.clientSecret = *secret;
    }
    auto faults = initialFaults(o);
    if (!faults) return fail(2, faults.error().message);

    auto logger = std::make_shared<spdlog::logger>(
        "graph-emulator", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_level(spdlog::level::from_str(o.logLevel));

    const auto started = std::chrono::steady_clock::now();
    auto model = buildTenant(o);
    if (!model) return fail(2, model.error().message);

    appkeeper::SystemClock clock;
    appkeeper::SystemRandom ids;
    emu::EmulatorConfig config;
    config.clientId = o.clientId;
    config.clientSecret = o.clientSecret;
    config.settings.pageSize = o.pageSize;
    config.settings.tokenLifetime = std::chrono::seconds(o.tokenLifetimeSeconds);
    config.settings.allowAppOnlyRsc = o.allowAppOnlyRsc;
    config.settings.deviceCodeInterval = std::chrono::seconds(o.deviceCodeIntervalSeconds);
    config.settings.deviceCodeLifetime = std::chrono::seconds(o.deviceCodeLifetimeSeconds);
    config.settings.latency = std::chrono::milliseconds(o.latencyMs);
    config.settings.latencyJitter = std::chrono::milliseconds(o.latencyJitterMs);
    config.limits = {o.getPerSecond, o.postPerSecond, o.perTeamPerSecond, o.throttle};
    config.seed = o.seed;
    config.faults = std::move(*faults);
    config.subscriptions = o.subscriptions;
    if (o.subscriptions) {
      auto deliveryTls = emu::makeDeliveryTls(o.notifyCaFile);
      if (!deliveryTls) return fail(2, deliveryTls.error().message);
      config.deliveryTls = std::move(*deliveryTls);
    }
    const size_t teams = (*model)->teamCount();
    emu::EmulatorCore core(std::move(config), std::move(*model), clock, ids, logger);

    emu::ServerOptions serverOptions;
    serverOptions.bindAddress = o.bind;
    serverOptions.port = o.port;
    serverOptions.threads = o.threads;
    if (o.tls) {
      if (auto s = setUpTls(o, clock.now(), serverOptions); !s) {
        return fail(2, s.error().message);
      }
    }
    emu::EmulatorServer server(core, serverOptions, logger);
    if (auto s = server.start(); !s) return fail(1, s.error().message);
    std::cout << "listening on " << server.url() << std::endl;  // endl flushes: the contract
    logger->info("tenant {} with {} teams ready in {} ms", o.tenantId, teams,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());

    int sig = 0;
    sigwait(&stopSignals, &sig);
    logger->info("signal {}: stopping", sig);
    server.stop();
    if (!o.stateFile.empty()) {
      if (auto s = emu::saveStateFile(core.model(), o.stateFile); !s) {
        return fail(1, "could not save the state: " + s.error().message);
      }
      logger->info("state saved to {}", o.stateFile);
    }
    return 0;
  } catch (const std::exception& e) {
    return fail(1, std::string("unexpected failure: ") + e.what());
  }
}
