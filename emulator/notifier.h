// Notifier: the emulator's outbound webhook sender. It POSTs change and lifecycle notifications
// to subscribers the way Graph does (shared/graph-api.md §3.6-3.8): items for the same URL are
// batched into one {"value":[...]} body, a receiver must answer 2xx within the delivery timeout
// (3 s), anything else is retried with capped exponential backoff until a retry window (Graph:
// 4 h) runs out, and then the item is dropped and reported.
//
// Borrows: the Clock in NotifierOptions (must outlive the Notifier); the callbacks are called on
// the delivery thread, never with the Notifier's lock held, so they may call enqueue()/wake().
// Thread-safety: every public member is thread-safe. One background thread (started by the
// constructor unless startThread is false) runs onTick() and runOnce(); the destructor stops and
// joins it (waiting for at most one in-flight POST, bounded by the delivery timeout).
// Errors: nothing throws; transport failures become PostResult::error and DeliveryReports.
//
// Deliveries speak http, and https with the receiver's certificate and host name verified
// against a DeliveryTls (the system trust store plus `--notify-ca-file`); real Graph delivers
// to https URLs only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "nlohmann/json.hpp"

namespace spdlog {
class logger;
}

namespace appkeeper::emulator {

// What one POST to a receiver produced.
struct PostResult {
  int status = 0;     // HTTP status; 0 when no answer arrived
  std::string body;   // the answer's body, truncated to 64 KiB
  std::string error;  // transport failure ("timed out after 3000 ms", ...); empty if answered
  std::chrono::milliseconds elapsed{0};
  bool success() const { return error.empty() && status >= 200 && status < 300; }
};

// Trust for https deliveries (opaque: a TLS client context). Immutable; share it freely.
struct DeliveryTls;
// The system trust store plus `caFile` (empty: the system store only). TLS 1.2 or newer; the
// receiver's certificate chain and host name (or IP) are always verified. Errors: kInvalidInput
// when `caFile` cannot be loaded (the message names it).
Result<std::shared_ptr<const DeliveryTls>> makeDeliveryTls(const std::string& caFile);

// POSTs `body` to an http:// or https:// URL; `timeout` bounds connect, each send/receive and
// the whole exchange (an answer arriving after it counts as a timeout, as in Graph). An https
// URL needs `tls` (null: refused with an error). A receiver whose certificate fails
// verification gets no byte of the request. Never throws.
PostResult postHttp(const std::string& url, const std::string& contentType, const std::string& body,
                    std::chrono::milliseconds timeout, const DeliveryTls* tls = nullptr);

using PostFunction =
    std::function<PostResult(const std::string& url, const std::string& contentType,
                             const std::string& body, std::chrono::milliseconds timeout)>;

// An absolute http(s) URL split the way the sender needs it. `target` is the path and query
// exactly as written (never re-encoded), "/" when the URL has no path.
struct HttpUrl {
  std::string scheme;  // "http" or "https", lower-case
  std::string host;    // without IPv6 brackets
  uint16_t port = 0;   // explicit or the scheme's default
  std::string target;
};

// nullopt for anything but an absolute http/https URL with a host (fragments and user info are
// refused: Graph has no use for them and they hide mistakes).
std::optional<HttpUrl> parseHttpUrl(std::string_view url);
// localhost, 127.0.0.0/8, ::1.
bool isLoopbackHost(std::string_view host);
// Form-style query encoding as Graph's validation request uses it: unreserved characters stay,
// space becomes '+', everything else %xx.
std::string formEncode(std::string_view s);
// url + ('?' or '&') + name=formEncode(value), keeping the URL's own query string.
std::string appendQueryParameter(const std::string& url, std::string_view name,
                                 std::string_view value);

enum class NotificationKind { kChange, kLifecycle };
const char* toString(NotificationKind kind);

// One changeNotification item waiting for delivery.
struct Notification {
  std::string subscriptionId;
  NotificationKind kind = NotificationKind::kChange;
  std::string url;      // notificationUrl or lifecycleNotificationUrl, query string included
  nlohmann::json item;  // the element of "value"
};

enum class DeliveryOutcome {
  kDelivered,  // a 2xx answered the POST carrying it
  kRetrying,   // the POST failed; it is queued again
  kDropped,    // the retry window ran out; it will never be delivered
  kDiscarded,  // stillWanted() said no (its subscription is gone) before it was sent
};
const char* toString(DeliveryOutcome outcome);

// Told to onReport once per item per attempt.
struct DeliveryReport {
  std::string subscriptionId;
  NotificationKind kind = NotificationKind::kChange;
  DeliveryOutcome outcome = DeliveryOutcome::kDelivered;
  int status = 0;     // the receiver's status, 0 when it did not answer
  std::string error;  // transport failure, empty when it answered
  int attempts = 0;   // POSTs made for this item so far
};

struct NotifierOptions {
  const Clock* clock = nullptr;  // required; steadyNow() drives due times and the retry window
  std::chrono::milliseconds deliveryTimeout{3000};  // Graph: 2xx within 3 s
  // Retry n (1-based) waits min(retryInitial * 2^(n-1), retryMax). Graph's own schedule is not
  // documented (only "retries for up to 4 hours"; slow endpoints are retried after 10 minutes).
  std::chrono::milliseconds retryInitial{1000};
  std::chrono::milliseconds retryMax{60000};
  std::chrono::milliseconds retryWindow{std::chrono::hours(4)};
  size_t maxQueue = 10000;         // change notifications beyond this are refused by enqueue()
  size_t lifecycleReserve = 1000;  // extra room kept for lifecycle events (e.g. "missed")
  size_t maxBatch = 100;           // items per POST
  // The thread wakes at least this often (real time) to run onTick (expiry, housekeeping).
  std::chrono::milliseconds tickInterval{1000};
  PostFunction post;  // empty: postHttp without TLS trust (http URLs only)
  std::function<void(const DeliveryReport&)> onReport;
  std::function<bool(const Notification&)> stillWanted;  // empty: everything is wanted
  std::function<void()> onTick;
  std::shared_ptr<spdlog::logger> logger;  // null: no logging
  bool startThread = true;  // false: nothing is sent unless the owner calls runOnce()
};

// Delay before retry `attempt` (1-based), per the formula on NotifierOptions.
std::chrono::milliseconds retryDelay(int attempt, std::chrono::milliseconds initial,
                                     std::chrono::milliseconds max);

class Notifier {
 public:
  explicit Notifier(NotifierOptions options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Stops and joins the thread (idempotent); afterwards enqueue() refuses everything. The owner
  // calls it before tearing down what the callbacks use.
  void stop();
  // Queues an item, due now. false when the queue is full (the caller counts the drop).
  bool enqueue(Notification notification);
  // Makes the thread look at the queue now (after a fake clock was advanced, or new work).
  void wake();
  size_t depth() const;
  // Sends every due item (batched per URL and kind) and requeues or drops the failures.
  // Returns the number of POSTs made. Runs at most once at a time; the thread calls it.
  size_t runOnce();

 private:
  struct Pending {
    Notification notification;
    int attempts = 0;
    SteadyTime firstQueued;
    SteadyTime due;
  };

  void loop();
  void report(const Pending& p, DeliveryOutcome outcome, const PostResult* result) const;
  void deliverBatch(std::deque<Pending>& batch);

  NotifierOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_; FIFO, items carry their own due time
  bool stop_ = false;          // guarded by mu_
  bool woken_ = false;         // guarded by mu_
  std::mutex runMu_;           // serialises runOnce()
  std::thread thread_;         // started last, joined by the destructor
};

}  // namespace appkeeper::emulator
