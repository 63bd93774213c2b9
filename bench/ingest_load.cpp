// ingest_load: an open-loop HTTP load generator at a fixed rate, for the "steady N/s" part of
// the ingest benchmark (bench/run_ingest.sh). wrk is closed-loop (it measures the most a server
// does) and wrk2, its fixed-rate fork, is not in Debian; this does what wrk2 does, in one thread:
// request k is due at start + k/rate whatever happened before it, and its latency is measured
// from that due time (not from when a free connection finally sent it), so a server that falls
// behind shows its queueing in the percentiles (no "coordinated omission").
//   ingest_load --url http://127.0.0.1:PORT/PATH --body-file F [--secret-file S]
//               [--rate R] [--duration SECONDS] [--connections C] [--label TEXT] [--header]
// With --secret-file every request is a Standard Webhooks delivery with a unique webhook-id,
// signed at send time. Sending stops after the duration; responses get 5 s more. Requests not
// sent by then, unanswered, or failed count as infinitely slow in the percentiles ("∞" when a
// percentile lands on them). Prints one Markdown table row (--header: the header first).
// Keep `connections` at or below the server's thread count: Poco serves a keep-alive connection
// on one thread for its whole life, so extra connections would only wait in its queue.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/ingest_signer.h"

namespace {

using Steady = std::chrono::steady_clock;
constexpr double kInfinite = std::numeric_limits<double>::infinity();
constexpr auto kDrain = std::chrono::seconds(5);

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path;
  std::string bodyFile, secretFile, label;
  double rate = 5000;
  double duration = 10;
  int connections = 16;
  bool header = false;
};

bool parseUrl(const std::string& url, Options& o) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  const auto slash = url.find('/', scheme.size());
  const std::string hostPort = url.substr(scheme.size(), slash - scheme.size());
  const auto colon = hostPort.rfind(':');
  if (colon == std::string::npos || slash == std::string::npos) return false;
  o.host = hostPort.substr(0, colon);
  const long port = std::strtol(hostPort.substr(colon + 1).c_str(), nullptr, 10);
  if (port <= 0 || port > 65535) return false;
  o.port = static_cast<uint16_t>(port);
  o.path = url.substr(slash);
  return true;
}

struct Connection {
  int fd = -1;
  bool busy = false;
  size_t request = 0;  // index of the request in flight
  std::string out;
  size_t written = 0;
  std::string in;
};

// One parsed response at the front of `in`, or nullopt when it is not complete yet.
struct Response {
  int status = 0;
  size_t bytes = 0;  // head + body
  bool close = false;
};

std::optional<Response> parseResponse(const std::string& in) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  Response r;
  if (in.size() < 12 || in.compare(0, 5, "HTTP/") != 0) {
    r.status = -1;  // garbage: the connection is dropped
    r.close = true;
    r.bytes = in.size();
    return r;
  }
  r.status = std::atoi(in.c_str() + 9);
  size_t length = 0;
  std::string head = in.substr(0, end);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (auto at = head.find("\r\ncontent-length:"); at != std::string::npos) {
    length = std::strtoul(head.c_str() + at + 17, nullptr, 10);
  }
  r.close = head.find("\r\nconnection: close") != std::string::npos;
  r.bytes = end + 4 + length;
  if (in.size() < r.bytes) return std::nullopt;
  return r;
}

class Load {
 public:
  Load(Options o, std::string body, std::optional<appkeeper::bench::IngestSigner> signer)
      : o_(std::move(o)), body_(std::move(body)), signer_(std::move(signer)) {
    total_ = static_cast<size_t>(std::llround(o_.rate * o_.duration));
    latencyMs_.assign(total_, kInfinite);
    interval_ = std::chrono::duration<double>(1.0 / o_.rate);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    idPrefix_ = "load-" + std::to_string(now.count()) + "-" + std::to_string(::getpid());
  }

  void run() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
    conns_.resize(static_cast<size_t>(o_.connections));
    for (size_t i = 0; i < conns_.size(); ++i) connect(i);
    start_ = Steady::now();
    const auto sendUntil =
        start_ + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(
                     o_.duration));
    const auto giveUpAt = sendUntil + kDrain;
    epoll_event events[64];
    // Bounded: ends at giveUpAt at the latest.
    while (true) {
      const auto now = Steady::now();
      if (now >= giveUpAt) break;
      if (now < sendUntil) sendDue(now);
      if (next_ >= total_ || now >= sendUntil) {
        if (inFlight() == 0) break;
      }
      int timeoutMs = 10;
      if (now < sendUntil && next_ < total_ && idle() > 0) {
        const auto wait = due(next_) - now;
        timeoutMs = static_cast<int>(
            std::clamp<long long>(std::chrono::ceil<std::chrono::milliseconds>(wait).count(), 0,
                                  10));
      }
      const int n = ::epoll_wait(epoll_, events, 64, timeoutMs);
      for (int e = 0; e < n; ++e) handle(static_cast<size_t>(events[e].data.u64), events[e].events);
    }
    for (auto& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
    ::close(epoll_);
  }

  void print() const {
    std::vector<double> sorted = latencyMs_;
    std::sort(sorted.begin(), sorted.end());
    auto pct = [&](double p) -> std::string {
      if (sorted.empty()) return "-";
      const size_t i = std::min(sorted.size() - 1,
                                static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(
                                                                            sorted.size()))) -
                                    (p > 0 ? 1 : 0));
      if (std::isinf(sorted[i])) return "∞";
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", sorted[i]);
      return buf;
    };
    size_t ok = 0, other = 0;
    std::string codes;
    for (const auto& [status, n] : statuses_) {
      (status >= 200 && status < 300 ? ok : other) += n;
      codes += (codes.empty() ? "" : " ") + std::to_string(status) + ":" + std::to_string(n);
    }
    const size_t answered = ok + other;
    const double answeredPerSecond = static_cast<double>(answered) / o_.duration;
    std::string load;
    std::ifstream("/proc/loadavg") >> load;
    std::printf("| %s | %.0f | %.0f | %zu | %zu | %.0f | %s | %s | %s | %zu | %zu | %s | %s |\n",
                o_.label.c_str(), o_.rate, o_.duration, next_, answered, answeredPerSecond,
                pct(50).c_str(), pct(99).c_str(), pct(99.9).c_str(), total_ - next_,
                failed_ + connectFailures_, codes.empty() ? "-" : codes.c_str(), load.c_str());
    std::fflush(stdout);
  }

  static void printHeader() {
    std::printf(
        "| target | rate/s asked | seconds | sent | answered | answered/s | p50 ms | p99 ms | "
        "p99.9 ms | not sent (backlog) | failed | statuses | load (1 min) |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  }

 private:
  Steady::time_point due(size_t k) const {
    return start_ + std::chrono::duration_cast<Steady::duration>(interval_ *
                                                                 static_cast<double>(k));
  }

  size_t idle() const {
    size_t n = 0;
    for (const auto& c : conns_) n += c.fd >= 0 && !c.busy ? 1 : 0;
    return n;
  }
  size_t inFlight() const {
    size_t n = 0;
    for (const auto& c : conns_) n += c.busy ? 1 : 0;
    return n;
  }

  void connect(size_t i) {
    Connection& c = conns_[i];
    if (c.fd >= 0) {
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c = Connection{};
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(o_.port);
    ::inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr);
    // Blocking connect on loopback (immediate), then non-blocking for the run.
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd >= 0) ::close(fd);
      ++connectFailures_;
      return;  // this slot stays unused
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    c.fd = fd;
  }

  std::string requestText(size_t k) const {
    std::string r = "POST " + o_.path + " HTTP/1.1\r\nHost: " + o_.host + ":" +
                    std::to_string(o_.port) +
                    "\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body_.size()) + "\r\n";
    if (signer_) {
      const std::string id = idPrefix_ + "-" + std::to_string(k);
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      const std::string ts =
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
      r += "webhook-id: " + id + "\r\nwebhook-timestamp: " + ts +
           "\r\nwebhook-signature: " + signer_->sign(id, ts, body_) + "\r\n";
    }
    return r + "\r\n" + body_;
  }

  void sendDue(Steady::time_point now) {
    for (size_t i = 0; i < conns_.size() && next_ < total_ && due(next_) <= now; ++i) {
      Connection& c = conns_[i];
      if (c.fd < 0 || c.busy) continue;
      c.busy = true;
      c.request = next_++;
      c.out = requestText(c.request);
      c.written = 0;
      flush(i);
    }
  }

  void flush(size_t i) {
    Connection& c = conns_[i];
    while (c.written < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written,
                               MSG_NOSIGNAL);
      if (n > 0) {
        c.written += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
        ev.data.u64 = i;
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
        return;
      }
      fail(i);
      return;
    }
  }

  void fail(size_t i) {
    if (conns_[i].busy) ++failed_;  // its latency stays infinite
    connect(i);
  }

  void handle(size_t i, uint32_t events) {
    Connection& c = conns_[i];
    if (c.fd < 0) return;
    if (events & EPOLLOUT) {
      flush(i);
      if (c.written == c.out.size()) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = i;
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
      }
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      char buf[16384];
      // Bounded: a non-blocking socket runs dry.
      while (true) {
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) {
          c.in.append(buf, static_cast<size_t>(n));
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        fail(i);  // closed by the server or an error
        return;
      }
      auto r = parseResponse(c.in);
      if (!r) return;
      if (c.busy) {
        latencyMs_[c.request] =
            std::chrono::duration<double, std::milli>(Steady::now() - due(c.request)).count();
        ++statuses_[r->status];
        c.busy = false;
      }
      c.in.erase(0, r->bytes);
      if (r->close) connect(i);
    }
  }

  Options o_;
  std::string body_;
  std::optional<appkeeper::bench::IngestSigner> signer_;
  std::string idPrefix_;
  size_t total_ = 0;
  size_t next_ = 0;
  std::chrono::duration<double> interval_{};
  Steady::time_point start_;
  int epoll_ = -1;
  std::vector<Connection> conns_;
  std::vector<double> latencyMs_;
  std::map<int, size_t> statuses_;
  size_t failed_ = 0;
  size_t connectFailures_ = 0;
};

int usage() {
  std::cerr << "usage: ingest_load --url http://127.0.0.1:PORT/PATH --body-file F "
               "[--secret-file S] [--rate R] [--duration SECONDS] [--connections C] "
               "[--label TEXT] [--header]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--header") {
      o.header = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    const std::string v = argv[++i];
    if (a == "--url") {
      url = v;
    } else if (a == "--body-file") {
      o.bodyFile = v;
    } else if (a == "--secret-file") {
      o.secretFile = v;
    } else if (a == "--label") {
      o.label = v;
    } else if (a == "--rate") {
      o.rate = std::strtod(v.c_str(), nullptr);
    } else if (a == "--duration") {
      o.duration = std::strtod(v.c_str(), nullptr);
    } else if (a == "--connections") {
      o.connections = std::atoi(v.c_str());
    } else {
      return usage();
    }
  }
  if (!parseUrl(url, o) || o.bodyFile.empty() || !(o.rate > 0) || !(o.duration > 0) ||
      o.rate * o.duration > 1e8 || o.connections < 1 || o.connections > 1024) {
    return usage();
  }
  if (o.label.empty()) o.label = o.path;
  try {
    std::ifstream in(o.bodyFile);
    std::stringstream body;
    body << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read " + o.bodyFile);
    std::optional<appkeeper::bench::IngestSigner> signer;
    if (!o.secretFile.empty()) signer.emplace(appkeeper::bench::readSecretFile(o.secretFile));
    if (o.header) Load::printHeader();
    Load load(o, body.str(), std::move(signer));
    load.run();
    load.print();
  } catch (const std::exception& e) {
    std::cerr << "ingest_load: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
