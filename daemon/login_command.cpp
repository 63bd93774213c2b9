// `appkeeper login`: the device-code sign-in (graph/delegated_tokens.h) whose refresh token the
// daemon's workers use for upgrades that need RSC. The prompt goes to stdout at once; the
// refresh token is sealed into the store (CredentialVault) and every blocked job is released.
// SIGINT/SIGTERM while waiting cancel the sleeper: the command ends cleanly, storing nothing.
// Run as root (`sudo appkeeper login`) against a store folder that belongs to the service's
// user, it becomes that user after reading the config and the key (store_owner.h), so the
// database files keep the service's ownership.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "daemon/commands.h"
#include "daemon/credential_vault.h"
#include "daemon/store_owner.h"
#include "graph/delegated_tokens.h"
#include "graph/graph_client.h"
#include "graph/http_transport.h"
#include "graph/sleeper.h"
#include "store/store.h"

namespace appkeeper::daemon {
namespace {

// SIGINT/SIGTERM blocked in this thread (and the waiter it starts) while it lives; a waiter
// thread takes them with sigwait and cancels the sleeper. Restores the mask on destruction.
class InterruptWatch {
 public:
  explicit InterruptWatch(graph::CancellableSleeper& sleeper) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
    waiter_ = std::thread([this, &sleeper] {
      int sig = 0;
      sigwait(&set_, &sig);
      if (!done_.load()) {
        interrupted_.store(true);
        sleeper.cancel();
      }
    });
  }
  ~InterruptWatch() {
    done_.store(true);
    // Wakes the waiter (the signal is blocked everywhere, so only its sigwait sees it).
    pthread_kill(waiter_.native_handle(), SIGTERM);
    waiter_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;
  bool interrupted() const { return interrupted_.load(); }

 private:
  sigset_t set_;
  sigset_t previous_;
  std::atomic<bool> done_{false};
  std::atomic<bool> interrupted_{false};
  std::thread waiter_;
};

std::string minutes(std::chrono::seconds s) {
  const auto m = std::max<int64_t>(1, (s.count() + 59) / 60);
  return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

}  // namespace

int runLogin(const CommandLine& cl, const Environment& env, const Clock& clock, std::ostream& out,
             std::ostream& err) {
  auto config = loadConfig(cl.store.configPath, env,
                           ConfigLoadOptions{.forServe = true, .needsCatalogSecret = false});
  if (!config) {
    err << "appkeeper: " << config.error().message;
    const std::string& m = config.error().message;
    if (m.find("[delegated] key_file") != std::string::npos &&
        m.find("openssl rand") == std::string::npos) {
      err << " (create the key with `openssl rand -base64 32 > FILE && chmod 0600 FILE`)";
    }
    err << '\n';
    return kExitUsage;
  }
  if (!config->delegated.enabled()) {
    err << "appkeeper: login needs a key to seal the sign-in with: create one with `openssl rand "
           "-base64 32 > /etc/appkeeper/delegated.key && chmod 0600 /etc/appkeeper/delegated.key`"
           " (readable by the daemon's user) and set [delegated] key_file = "
           "/etc/appkeeper/delegated.key in "
        << config->file << " (or APPKEEPER_DELEGATED_KEY_FILE)\n";
    return kExitUsage;
  }
  if (auto owner = storeOwnerToBecome(config->store.path, ::geteuid())) {
    if (auto switched = becomeOwner(*owner); !switched) {
      err << "appkeeper: " << switched.error().message << '\n';
      return kExitFailure;
    }
    out << "running as uid " << owner->uid << ", the owner of " << owner->folder
        << ", so the database keeps the service's ownership\n";
  }
  // Before the admin signs in: a database we cannot write would waste the sign-in.
  auto opened = store::Store::open(config->store.path, clock, store::OpenMode::kReadWrite);
  if (!opened) {
    err << "appkeeper: cannot open the database " << config->store.path << ": "
        << opened.error().message << '\n';
    return kExitFailure;
  }
  CredentialVault vault(config->delegated.key, **opened);

  graph::TransportOptions transportOptions;
  transportOptions.caFile = config->graph.caFile;
  auto transport = graph::makePocoTransport(transportOptions);
  graph::DelegatedClient client;
  client.tokenUrl = config->graph.tokenEndpoint();
  client.deviceCodeUrl = config->delegated.deviceCodeEndpoint(config->graph.tenantId);
  client.clientId = config->graph.clientId;
  client.scope = config->delegated.scope;
  client.timeout = config->graph.timeout;
  graph::CancellableSleeper sleeper;
  graph::DeviceCodeFlow flow(client, *transport, clock, sleeper);

  Result<graph::DelegatedGrant> grant = Error::internal("not signed in");
  bool interrupted = false;
  {
    InterruptWatch watch(sleeper);
    auto prompt = flow.start();
    if (!prompt) {
      err << "appkeeper: cannot start the sign-in: " << prompt.error().message << '\n';
      return kExitFailure;
    }
    if (!prompt->message.empty()) {
      out << prompt->message << '\n';
    } else {
      out << "To sign in, open " << prompt->verificationUri << " and enter the code "
          << prompt->userCode << ".\n";
    }
    out << "user code: " << prompt->userCode << '\n'
        << "waiting for the sign-in (up to " << minutes(prompt->expiresIn) << "; Ctrl-C to stop)"
        << std::flush;
    grant = flow.poll(*prompt, [&out] { out << '.' << std::flush; });
    out << '\n' << std::flush;
    interrupted = watch.interrupted();
  }
  if (!grant) {
    if (interrupted || grant.error().code == graph::kCancelledCode) {
      err << "appkeeper: sign-in interrupted; nothing was stored\n";
    } else {
      err << "appkeeper: " << grant.error().message << '\n';
    }
    return kExitFailure;
  }
  auto released = vault.storeLogin(*grant);
  if (!released) {
    err << "appkeeper: signed in, but the sign-in could not be stored: " << released.error().message
        << '\n';
    return kExitFailure;
  }
  out << "signed in" << (grant->account.empty() ? std::string() : " as " + grant->account) << "; "
      << *released << (*released == 1 ? " blocked upgrade" : " blocked upgrades") << " released\n";
  out.flush();
  return out ? kExitOk : kExitFailure;
}

}  // namespace appkeeper::daemon
