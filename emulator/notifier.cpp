#include "emulator/notifier.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Timespan.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <istream>
#include <utility>
#include <vector>

#include "common/ascii.h"
#include "emulator/tls_contexts.h"

namespace appkeeper::emulator {

struct DeliveryTls {
  Poco::Net::Context::Ptr context;
};

namespace {

constexpr size_t kMaxAnswerBytes = 64 * 1024;

std::chrono::milliseconds elapsedSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

std::string timeoutText(std::chrono::milliseconds timeout) {
  return "no answer within " + std::to_string(timeout.count()) + " ms";
}

}  // namespace

std::optional<HttpUrl> parseHttpUrl(std::string_view url) {
  auto schemeEnd = url.find("://");
  if (schemeEnd == std::string_view::npos) return std::nullopt;
  HttpUrl out;
  out.scheme = toLowerAscii(url.substr(0, schemeEnd));
  if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(schemeEnd + 3);
  if (rest.find('#') != std::string_view::npos) return std::nullopt;
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  auto authEnd = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authEnd);
  std::string_view target =
      authEnd == std::string_view::npos ? std::string_view() : rest.substr(authEnd);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view portText;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      portText = after.substr(1);
      if (portText.empty()) return std::nullopt;
    }
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      portText = authority.substr(colon + 1);
      if (portText.empty()) return std::nullopt;
    }
  }
  if (out.host.empty()) return std::nullopt;
  if (!portText.empty()) {
    if (portText.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : portText) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    out.port = static_cast<uint16_t>(value);
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }
  out.target = target.empty() ? std::string("/") : std::string(target);
  if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  return out;
}

bool isLoopbackHost(std::string_view host) {
  std::string h = toLowerAscii(host);
  if (h == "localhost" || h == "::1") return true;
  if (h.rfind("127.", 0) != 0) return false;
  // Dotted IPv4 only, so "127.evil.example" is not loopback.
  int dots = 0;
  for (char c : h) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

std::string formEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";  // lower-case, as .NET's UrlEncode writes
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

std::string appendQueryParameter(const std::string& url, std::string_view name,
                                 std::string_view value) {
  std::string out = url;
  char sep = '?';
  if (auto q = out.find('?'); q != std::string::npos) {
    sep = (q + 1 == out.size() || out.back() == '&') ? '\0' : '&';
  }
  if (sep != '\0') out += sep;
  out += formEncode(name);
  out += '=';
  out += formEncode(value);
  return out;
}

const char* toString(NotificationKind kind) {
  return kind == NotificationKind::kChange ? "change" : "lifecycle";
}

const char* toString(DeliveryOutcome outcome) {
  switch (outcome) {
    case DeliveryOutcome::kDelivered:
      return "delivered";
    case DeliveryOutcome::kRetrying:
      return "retrying";
    case DeliveryOutcome::kDropped:
      return "dropped";
    case DeliveryOutcome::kDiscarded:
      return "discarded";
  }
  return "unknown";
}

Result<std::shared_ptr<const DeliveryTls>> makeDeliveryTls(const std::string& caFile) {
  auto context = makeDeliveryTlsContext(caFile);
  if (!context) return context.error();
  return std::shared_ptr<const DeliveryTls>(new DeliveryTls{*context});
}

PostResult postHttp(const std::string& url, const std::string& contentType, const std::string& body,
                    std::chrono::milliseconds timeout, const DeliveryTls* tls) {
  PostResult result;
  auto start = std::chrono::steady_clock::now();
  auto parsed = parseHttpUrl(url);
  if (!parsed) {
    result.error = "not an absolute http(s) URL";
    return result;
  }
  if (parsed->scheme == "https" && tls == nullptr) {
    result.error = "https delivery needs TLS trust settings (the emulator was given none)";
    return result;
  }
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> owned;
    if (parsed->scheme == "https") {
      owned = std::make_unique<Poco::Net::HTTPSClientSession>(parsed->host, parsed->port,
                                                               tls->context);
    } else {
      owned = std::make_unique<Poco::Net::HTTPClientSession>(parsed->host, parsed->port);
    }
    Poco::Net::HTTPClientSession& session = *owned;
    Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) * 1000);
    session.setTimeout(span, span, span);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, parsed->target,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType(contentType);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    request.set("User-Agent", "appkeeper-graph-emulator");
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::array<char, 4096> buffer{};
    while (in && result.body.size() < kMaxAnswerBytes) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      auto got = static_cast<size_t>(in.gcount());
      if (got == 0) break;
      result.body.append(buffer.data(), std::min(got, kMaxAnswerBytes - result.body.size()));
    }
    result.status = static_cast<int>(response.getStatus());
    result.elapsed = elapsedSince(start);
    // Each socket operation has its own timeout; Graph's limit is on the whole exchange.
    if (result.elapsed > timeout) {
      result.error = timeoutText(timeout);
    }
    return result;
  } catch (const Poco::TimeoutException&) {
    result.error = timeoutText(timeout);
  } catch (const Poco::Net::SSLException& e) {
    // Covers certificate rejections: the handshake failed, nothing of the request was sent.
    result.error = "TLS to " + parsed->host + ":" + std::to_string(parsed->port) +
                   " failed: " + e.displayText();
  } catch (const Poco::Exception& e) {
    result.error = e.displayText();
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  result.status = 0;
  result.elapsed = elapsedSince(start);
  return result;
}

std::chrono::milliseconds retryDelay(int attempt, std::chrono::milliseconds initial,
                                     std::chrono::milliseconds max) {
  if (attempt < 1) attempt = 1;
  auto delay = initial;
  for (int i = 1; i < attempt && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

Notifier::Notifier(NotifierOptions options) : options_(std::move(options)) {
  if (!options_.post) {
    options_.post = [](const std::string& url, const std::string& contentType,
                       const std::string& body, std::chrono::milliseconds timeout) {
      return postHttp(url, contentType, body, timeout);
    };
  }
  if (options_.maxBatch == 0) options_.maxBatch = 1;
  if (options_.startThread) thread_ = std::thread([this] { loop(); });
}

Notifier::~Notifier() { stop(); }

void Notifier::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool Notifier::enqueue(Notification notification) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return false;
    size_t limit = options_.maxQueue;
    if (notification.kind == NotificationKind::kLifecycle) limit += options_.lifecycleReserve;
    if (queue_.size() >= limit) return false;
    SteadyTime now = options_.clock->steadyNow();
    queue_.push_back(Pending{std::move(notification), 0, now, now});
    woken_ = true;
  }
  cv_.notify_all();
  return true;
}

void Notifier::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

size_t Notifier::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Notifier::report(const Pending& p, DeliveryOutcome outcome, const PostResult* result) const {
  if (!options_.onReport) return;
  DeliveryReport r;
  r.subscriptionId = p.notification.subscriptionId;
  r.kind = p.notification.kind;
  r.outcome = outcome;
  r.attempts = p.attempts;
  if (result != nullptr) {
    r.status = result->status;
    r.error = result->error;
  }
  options_.onReport(r);
}

size_t Notifier::runOnce() {
  std::lock_guard run(runMu_);
  std::deque<Pending> ready;
  {
    std::lock_guard lock(mu_);
    SteadyTime now = options_.clock->steadyNow();
    std::deque<Pending> later;
    for (auto& p : queue_) (p.due <= now ? ready : later).push_back(std::move(p));
    queue_ = std::move(later);
  }
  if (ready.empty()) return 0;

  // Group by (kind, url) keeping first-seen order: one POST carries items of one endpoint.
  std::vector<std::deque<Pending>> groups;
  for (auto& p : ready) {
    if (options_.stillWanted && !options_.stillWanted(p.notification)) {
      report(p, DeliveryOutcome::kDiscarded, nullptr);
      continue;
    }
    auto it = std::find_if(groups.begin(), groups.end(), [&](const std::deque<Pending>& g) {
      return g.front().notification.url == p.notification.url &&
             g.front().notification.kind == p.notification.kind && g.size() < options_.maxBatch;
    });
    if (it == groups.end()) {
      groups.emplace_back();
      it = std::prev(groups.end());
    }
    it->push_back(std::move(p));
  }

  size_t posts = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      stopping = stop_;
    }
    if (stopping) {
      // Shutting down: put the rest back unsent (the destructor discards the queue).
      std::lock_guard lock(mu_);
      for (size_t j = i; j < groups.size(); ++j) {
        for (auto& p : groups[j]) queue_.push_back(std::move(p));
      }
      break;
    }
    deliverBatch(groups[i]);
    ++posts;
  }
  return posts;
}

void Notifier::deliverBatch(std::deque<Pending>& batch) {
  nlohmann::json value = nlohmann::json::array();
  for (const auto& p : batch) value.push_back(p.notification.item);
  const std::string& url = batch.front().notification.url;
  PostResult result =
      options_.post(url, "application/json; charset=utf-8", nlohmann::json{{"value", value}}.dump(),
                    options_.deliveryTimeout);
  for (auto& p : batch) ++p.attempts;

  if (result.success()) {
    for (const auto& p : batch) report(p, DeliveryOutcome::kDelivered, &result);
    return;
  }
  if (options_.logger) {
    // The URL's query string may carry a receiver's key: log scheme, host and port only.
    auto parsed = parseHttpUrl(url);
    options_.logger->warn(
        "notification delivery to {}://{}:{} failed ({} item(s)): {}",
        parsed ? parsed->scheme : "?", parsed ? parsed->host : "?", parsed ? parsed->port : 0,
        batch.size(),
        result.error.empty() ? "HTTP " + std::to_string(result.status) : result.error);
  }
  SteadyTime now = options_.clock->steadyNow();
  std::vector<Pending*> dropped;
  std::vector<Pending*> retrying;
  {
    std::lock_guard lock(mu_);
    for (auto& p : batch) {
      auto delay = retryDelay(p.attempts, options_.retryInitial, options_.retryMax);
      if ((now - p.firstQueued) + delay > options_.retryWindow) {
        dropped.push_back(&p);
      } else {
        retrying.push_back(&p);
      }
    }
    for (Pending* p : retrying) {
      Pending copy = *p;
      copy.due = now + retryDelay(p->attempts, options_.retryInitial, options_.retryMax);
      queue_.push_back(std::move(copy));
    }
  }
  for (Pending* p : retrying) report(*p, DeliveryOutcome::kRetrying, &result);
  for (Pending* p : dropped) report(*p, DeliveryOutcome::kDropped, &result);
}

void Notifier::loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      woken_ = false;
    }
    try {
      if (options_.onTick) options_.onTick();
      runOnce();
    } catch (const std::exception& e) {
      // A throwing callback must not end delivery for good: log and keep going.
      if (options_.logger) options_.logger->error("notification delivery loop: {}", e.what());
    }
    std::unique_lock lock(mu_);
    if (stop_) return;
    if (woken_) continue;
    SteadyTime now = options_.clock->steadyNow();
    auto wait = options_.tickInterval;
    for (const auto& p : queue_) {
      auto untilDue = std::chrono::duration_cast<std::chrono::milliseconds>(p.due - now);
      wait = std::min(wait, std::max(untilDue, std::chrono::milliseconds(0)));
    }
    cv_.wait_for(lock, wait, [this] { return stop_ || woken_; });
  }
}

}  // namespace appkeeper::emulator
