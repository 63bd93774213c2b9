// PocoTransport: HttpTransport over Poco::Net (see http_transport.h for the contract).
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Timespan.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string_view>

#include "common/ascii.h"
#include "graph/http_transport.h"
#include "graph/session_pool.h"
#include "graph/tls_context.h"
#include "graph/url.h"

namespace appkeeper::graph {
namespace {

using std::chrono::milliseconds;

bool isIdempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE";
}

bool hasBodySemantics(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

bool isTokenChar(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Framing headers are the transport's business; a caller's copy could desynchronise the stream.
bool isFramingHeader(const std::string& name) {
  static constexpr std::array<std::string_view, 5> kFraming{"content-length", "transfer-encoding",
                                                            "connection", "host", "keep-alive"};
  return std::any_of(kFraming.begin(), kFraming.end(),
                     [&](std::string_view f) { return equalsIgnoreCaseAscii(f, name); });
}

std::optional<Error> checkHeaders(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return isTokenChar(static_cast<unsigned char>(c));
        })) {
      return Error::invalidInput("a request header name is not a valid HTTP token");
    }
    for (char c : value) {
      if (c == '\r' || c == '\n' || c == '\0') {
        // The value may be a token: name the header, never the value.
        return Error::invalidInput("request header '" + name +
                                   "' contains a line break or NUL; refusing to send it");
      }
    }
  }
  return std::nullopt;
}

// A certificate OpenSSL refused: permanent (retrying cannot change a certificate), so the caller
// fails fast with one line naming the host and the reason.
Error describeRejection(const TlsVerifyFailure& failure, const ParsedUrl& url) {
  const std::string head = "TLS to " + url.hostPort() + " failed: ";
  if (failure.nameMismatch) {
    return Error::permanent(head + "host name mismatch: certificate is for " +
                            failure.certifiedNames + ", not " + url.host +
                            "; use a URL with a host the certificate names");
  }
  std::string hint;
  if (failure.untrustedIssuer) {
    hint = "; if this server is meant to be trusted, add its CA certificate with [graph] ca_file";
  } else if (failure.code == X509_V_ERR_CERT_HAS_EXPIRED ||
             failure.code == X509_V_ERR_CERT_NOT_YET_VALID) {
    hint = "; the server needs a current certificate (or this machine's clock is wrong)";
  }
  return Error::permanent(head + "certificate verify failed: " + failure.reason + hint);
}

// What went wrong, for a message that names host:port and the failure but nothing the request
// carried. Exception texts from Poco/OpenSSL describe sockets and certificates only.
Error describeFailure(const Poco::Exception& e, const ParsedUrl& url, milliseconds timeout) {
  const std::string where = url.hostPort();
  auto transient = [&](const std::string& what) {
    return Error::transient("HTTP request to " + where + " failed: " + what);
  };
  // A refused certificate is the cause whatever the socket did afterwards.
  if (auto failure = lastTlsVerifyFailure()) return describeRejection(*failure, url);
  if (dynamic_cast<const Poco::TimeoutException*>(&e) != nullptr) {
    return Error::transient("HTTP request to " + where + " timed out after " +
                            std::to_string(timeout.count()) + " ms");
  }
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e) != nullptr) {
    return transient("connection refused (is the server running and the URL right?)");
  }
  if (dynamic_cast<const Poco::Net::ConnectionResetException*>(&e) != nullptr ||
      dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&e) != nullptr) {
    return transient("connection reset by the server");
  }
  if (dynamic_cast<const Poco::Net::NoMessageException*>(&e) != nullptr) {
    return transient("the server closed the connection without answering");
  }
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&e) != nullptr ||
      dynamic_cast<const Poco::Net::InvalidCertificateException*>(&e) != nullptr) {
    // Poco's own post-handshake host check (OpenSSL's in-handshake one normally fires first).
    return Error::permanent("TLS to " + where + " failed: host name mismatch (" + e.message() +
                            "): the certificate must name the host of the URL");
  }
  if (dynamic_cast<const Poco::Net::SSLException*>(&e) != nullptr) {
    return Error::transient("TLS to " + where + " failed: " + e.displayText());
  }
  if (dynamic_cast<const Poco::Net::HostNotFoundException*>(&e) != nullptr ||
      dynamic_cast<const Poco::Net::NoAddressFoundException*>(&e) != nullptr ||
      dynamic_cast<const Poco::Net::DNSException*>(&e) != nullptr) {
    return transient("cannot resolve the host name");
  }
  if (dynamic_cast<const Poco::Net::MessageException*>(&e) != nullptr) {
    return transient("the server's answer is not valid HTTP (" + e.message() + ")");
  }
  return transient(e.className() + std::string(" (") + e.message() + ")");
}

class PocoTransport final : public HttpTransport {
 public:
  explicit PocoTransport(TransportOptions options)
      : options_(std::move(options)), pool_(options_.maxIdlePerOrigin, options_.maxIdle) {}

  Result<HttpResponse> send(const HttpRequest& request) override {
    auto url = parseUrl(request.url);
    if (!url) return url.error();
    if (auto bad = checkHeaders(request.headers)) return *bad;
    const std::string origin = url->origin();
    // Bounded: one try on a pooled connection, one on a fresh connection.
    for (int attempt = 0;; ++attempt) {
      auto session = attempt == 0 ? pool_.take(origin) : nullptr;
      const bool reused = session != nullptr;
      if (!session) {
        auto fresh = newSession(*url);
        if (!fresh) return fresh.error();
        session = std::move(*fresh);
      }
      Exchange state;
      auto result = exchange(*session, request, *url, state);
      if (result) {
        if (state.reusable) pool_.giveBack(origin, std::move(session));
        return result;
      }
      // A kept-alive connection the server dropped while idle: safe to resend only when the
      // method is idempotent and nothing came back (the server may have acted on a POST).
      if (reused && attempt == 0 && !state.answered && !state.timedOut &&
          isIdempotent(request.method) && result.error().kind == ErrorKind::kTransient) {
        continue;
      }
      return result;
    }
  }

 private:
  Result<std::unique_ptr<Poco::Net::HTTPClientSession>> newSession(const ParsedUrl& url) {
    if (url.scheme == "https") {
      auto context = tlsContextFor(url.host);
      if (!context) return context.error();
      return std::unique_ptr<Poco::Net::HTTPClientSession>(
          std::make_unique<Poco::Net::HTTPSClientSession>(url.host, url.port, *context));
    }
    return std::make_unique<Poco::Net::HTTPClientSession>(url.host, url.port);
  }

  // One context per host, because the name OpenSSL verifies is part of the context. A CA file
  // that cannot be loaded is not cached: the next request tries again (and fails the same way
  // until it is fixed).
  Result<Poco::Net::Context::Ptr> tlsContextFor(const std::string& host) {
    std::lock_guard lock(tlsMu_);
    if (auto it = tls_.find(host); it != tls_.end()) return it->second;
    auto context = makeClientTlsContext(options_.caFile, host);
    if (context) tls_.emplace(host, *context);
    return context;
  }

  struct Exchange {
    bool answered = false;  // a status line arrived
    bool timedOut = false;
    bool reusable = false;  // complete and keep-alive: the session may serve another request
  };

  // One request/response on `session`.
  Result<HttpResponse> exchange(Poco::Net::HTTPClientSession& session, const HttpRequest& request,
                                const ParsedUrl& url, Exchange& state) {
    const milliseconds timeout =
        request.timeout > milliseconds::zero() ? request.timeout : milliseconds(30'000);
    // A handshake in this exchange records its certificate verdict on this thread.
    clearLastTlsVerifyFailure();
    try {
      const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) * 1000);
      session.setTimeout(span, span, span);
      if (session.connected()) {
        // Poco applies the session timeouts only when it connects; a pooled socket needs them now.
        session.socket().setReceiveTimeout(span);
        session.socket().setSendTimeout(span);
      }
      session.setKeepAlive(true);
      Poco::Net::HTTPRequest out(request.method, sanitizeRequestTarget(url.target),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      out.setKeepAlive(true);
      for (const auto& [name, value] : request.headers) {
        if (!isFramingHeader(name)) out.add(name, value);
      }
      if (!request.body.empty() || hasBodySemantics(request.method)) {
        out.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
      }
      std::ostream& body = session.sendRequest(out);
      body.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
      body.flush();

      Poco::Net::HTTPResponse in;
      std::istream& stream = session.receiveResponse(in);
      state.answered = true;
      // Rethrow the Poco exception (timeout, reset) instead of a silent short read.
      stream.exceptions(std::ios::badbit);
      HttpResponse response;
      response.status = static_cast<int>(in.getStatus());
      for (const auto& [name, value] : in) response.headers.emplace_back(name, value);
      std::array<char, 16 * 1024> buffer{};
      while (stream) {
        stream.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        auto n = static_cast<size_t>(stream.gcount());
        if (response.body.size() + n > options_.maxBodyBytes) {
          return Error::permanent("HTTP response from " + url.hostPort() + " is larger than " +
                                  std::to_string(options_.maxBodyBytes) + " bytes; refusing it");
        }
        response.body.append(buffer.data(), n);
      }
      if (in.hasContentLength() &&
          static_cast<Poco::Int64>(response.body.size()) != in.getContentLength64()) {
        return Error::transient("HTTP request to " + url.hostPort() +
                                " failed: the response body was truncated (got " +
                                std::to_string(response.body.size()) + " of " +
                                std::to_string(in.getContentLength64()) + " bytes)");
      }
      state.reusable = in.getKeepAlive();
      return response;
    } catch (const Poco::TimeoutException& e) {
      state.timedOut = true;
      return describeFailure(e, url, timeout);
    } catch (const Poco::Exception& e) {
      return describeFailure(e, url, timeout);
    } catch (const std::exception& e) {
      return Error::transient("HTTP request to " + url.hostPort() + " failed: " + e.what());
    }
  }

  TransportOptions options_;
  SessionPool pool_;
  std::mutex tlsMu_;
  std::map<std::string, Poco::Net::Context::Ptr> tls_;  // host -> context; guarded by tlsMu_
};

}  // namespace

std::unique_ptr<HttpTransport> makePocoTransport(const TransportOptions& options) {
  return std::make_unique<PocoTransport>(options);
}

}  // namespace appkeeper::graph
