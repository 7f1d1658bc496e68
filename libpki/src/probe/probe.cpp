#include "pki/probe/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pki/cert/general_name.h"
#include "pki/core/io.h"

namespace pki::probe {

namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Connects to the first address that answers before the deadline.
Socket connect_tcp(const std::string& host, std::uint16_t port, Clock::time_point deadline,
                   ProbeResult& out) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) {
    out.failure = Failure::kRefused;
    out.failure_message = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return Socket();
  }
  std::string last_error = "no address";
  bool timed_out = false;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (s.get() < 0) continue;
    char addr[INET6_ADDRSTRLEN] = "?";
    const void* a = ai->ai_family == AF_INET
                        ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
                        : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
    ::inet_ntop(ai->ai_family, a, addr, sizeof addr);
    if (::connect(s.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    pollfd p{s.get(), POLLOUT, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready == 0) {
      timed_out = true;
      last_error = "timed out";
      break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (ready < 0 || err != 0) {
      last_error = std::strerror(ready < 0 ? errno : err);
      continue;
    }
    // Named only once connected: an address that refused is not "the address connected to".
    out.address = std::string(ai->ai_family == AF_INET6 ? "[" : "") + addr +
                  (ai->ai_family == AF_INET6 ? "]" : "") + ":" + std::to_string(port);
    // Blocking from here on; every read and write is bounded by the time left.
    ::fcntl(s.get(), F_SETFL, ::fcntl(s.get(), F_GETFL) & ~O_NONBLOCK);
    ::freeaddrinfo(list);
    return s;
  }
  ::freeaddrinfo(list);
  out.failure = timed_out ? Failure::kTimedOut : Failure::kRefused;
  out.failure_message = "cannot connect to " + host + ":" + std::to_string(port) + ": " + last_error;
  return Socket();
}

void set_io_timeout(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  if (ms <= 0) tv = {0, 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// TLS alert names (RFC 8446 6.2, RFC 5246 7.2): OpenSSL 3.0 has no name for the newer ones.
std::string alert_name(int code) {
  switch (code) {
    case 0:
      return "close notify";
    case 10:
      return "unexpected message";
    case 20:
      return "bad record mac";
    case 22:
      return "record overflow";
    case 40:
      return "handshake failure";
    case 42:
      return "bad certificate";
    case 43:
      return "unsupported certificate";
    case 44:
      return "certificate revoked";
    case 45:
      return "certificate expired";
    case 46:
      return "certificate unknown";
    case 47:
      return "illegal parameter";
    case 48:
      return "unknown ca";
    case 49:
      return "access denied";
    case 50:
      return "decode error";
    case 51:
      return "decrypt error";
    case 70:
      return "protocol version";
    case 71:
      return "insufficient security";
    case 80:
      return "internal error";
    case 86:
      return "inappropriate fallback";
    case 90:
      return "user canceled";
    case 109:
      return "missing extension";
    case 110:
      return "unsupported extension";
    case 112:
      return "unrecognized name";
    case 113:
      return "bad certificate status response";
    case 115:
      return "unknown psk identity";
    case 116:
      return "certificate required";
    case 120:
      return "no application protocol";
    default:
      return "alert " + std::to_string(code);
  }
}

// The fatal alert the peer sent, recorded by libssl's info callback.
void on_info(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_READ_ALERT)) return;
  auto* result = static_cast<ProbeResult*>(SSL_get_app_data(ssl));
  const int level = (ret >> 8) & 0xff;  // 2: fatal (RFC 5246 7.2)
  if (result && result->alert.empty() && level == 2) result->alert = alert_name(ret & 0xff);
}

// The handshake messages that tell what happened to the client certificate: the server's
// CertificateRequest (13), and the probe's own Certificate message (11) and whether its
// certificate_list was empty (RFC 8446 4.4.2, RFC 5246 7.4.6).
void on_message(int write_p, int version, int content_type, const void* buf, std::size_t len, SSL* ssl,
                void*) {
  if (content_type != SSL3_RT_HANDSHAKE || len < 4) return;
  auto* result = static_cast<ProbeResult*>(SSL_get_app_data(ssl));
  if (!result) return;
  const auto* m = static_cast<const unsigned char*>(buf);
  if (!write_p && m[0] == SSL3_MT_CERTIFICATE_REQUEST) result->client_certificate.requested = true;
  if (!write_p || m[0] != SSL3_MT_CERTIFICATE) return;
  std::size_t at = 4;
  if (version == TLS1_3_VERSION) at += 1 + (len > 4 ? m[4] : 0);  // certificate_request_context
  if (len < at + 3) return;
  const std::size_t list = (std::size_t{m[at]} << 16) | (std::size_t{m[at + 1]} << 8) | m[at + 2];
  result->client_certificate.sent = list > 0;
}

std::string ssl_failure(ProbeResult& r, const char* stage) {
  if (!r.alert.empty()) return std::string("the server sent alert '") + r.alert + "' " + stage;
  std::string detail = drain_openssl_errors();
  if (detail.empty()) detail = errno ? std::strerror(errno) : "the connection was closed";
  return std::string("TLS failed ") + stage + ": " + detail;
}

// After a completed handshake, the server's first response: data, a close, an alert, or nothing
// within the wait. (A TLS 1.3 server's session tickets are consumed on the way; the wait bounds the
// whole read.)
void await_first_response(SSL* ssl, int fd, Clock::time_point deadline, ProbeResult& r) {
  const int wait = std::min<int>(static_cast<int>(kRefusalWait.count()), remaining_ms(deadline));
  set_io_timeout(fd, std::max(1, wait));
  char buf[1];
  errno = 0;
  const int n = SSL_peek(ssl, buf, sizeof buf);
  if (n > 0) return;
  const int err = SSL_get_error(ssl, n);
  const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
  if (err == SSL_ERROR_SSL || !r.alert.empty()) {
    r.failure = Failure::kPeerRefused;
    r.failure_message = ssl_failure(r, "after the handshake: it refused the connection");
  } else if (err == SSL_ERROR_SYSCALL && errno != 0 && !timed_out) {
    r.failure = Failure::kPeerRefused;
    r.failure_message =
        std::string("the server dropped the connection after the handshake: ") + std::strerror(errno);
  }
  // A clean close_notify, or nothing within the wait: accepted at the TLS layer.
}

// `GET path` over the connection, and the status line of the answer (RFC 9112 3, 4).
void http_get(SSL* ssl, int fd, const ProbeOptions& probe, Clock::time_point deadline, ProbeResult& r) {
  std::string host = probe.servername;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // an IPv6 literal
  if (probe.port != 443) host += ":" + std::to_string(probe.port);
  HttpResponse http;
  http.request = "GET " + *probe.http_get + " HTTP/1.1";
  const std::string request =
      http.request + "\r\nHost: " + host + "\r\nUser-Agent: pki-probe\r\nConnection: close\r\n\r\n";
  set_io_timeout(fd, remaining_ms(deadline));
  errno = 0;
  if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0) {
    r.failure = Failure::kPeerRefused;
    r.failure_message = ssl_failure(r, "while sending the HTTP request: it refused the connection");
    return;
  }
  // The status line: at most 8 KiB, within the deadline.
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 8192) {
    set_io_timeout(fd, remaining_ms(deadline));
    char buf[1024];
    errno = 0;
    const int n = SSL_read(ssl, buf, sizeof buf);
    if (n > 0) {
      head.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
    if (!r.alert.empty() || SSL_get_error(ssl, n) == SSL_ERROR_SSL) {
      r.failure = Failure::kPeerRefused;
      r.failure_message = ssl_failure(r, "instead of an HTTP response: it refused the connection");
    } else {
      r.failure = timed_out ? Failure::kTimedOut : Failure::kPeerRefused;
      r.failure_message = timed_out ? "the server did not answer the HTTP request in time"
                                    : "the server closed the connection without an HTTP response";
    }
    return;
  }
  const std::string line = head.substr(0, head.find("\r\n"));
  // "HTTP/1.1 200 OK": a version, a three-digit status, a reason.
  if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0 || line[8] != ' ' ||
      line.find_first_not_of("0123456789", 9) != 12) {
    r.failure = Failure::kPeerRefused;
    r.failure_message = "the server's answer is not HTTP: '" + line.substr(0, 60) + "'";
    return;
  }
  http.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  http.status_line = line;
  if (http.status >= 400) {
    r.failure = Failure::kHttpRefused;
    r.failure_message = "the server answered " + line.substr(9);
  }
  r.http = std::move(http);
}

// What the wire showed of the client certificate, once the exchange is over.
ClientCertVerdict client_cert_verdict(const ProbeResult& r) {
  const auto& c = r.client_certificate;
  if (!c.offered) return ClientCertVerdict::kNotOffered;
  if (!r.handshake_completed && r.alert.empty()) return ClientCertVerdict::kUnknown;
  if (!c.requested) return ClientCertVerdict::kNotRequested;
  if (!c.sent) return ClientCertVerdict::kNotSent;
  // An alert during the handshake (TLS 1.2) or on the first read after it (TLS 1.3) is the
  // server's refusal; an HTTP status is the application's answer, not the TLS layer's.
  if (!r.alert.empty()) return ClientCertVerdict::kRefused;
  if (r.failure == Failure::kNone || r.failure == Failure::kHttpRefused)
    return ClientCertVerdict::kTlsAccepted;
  return ClientCertVerdict::kUnknown;
}

}  // namespace

std::string_view to_string(ClientCertVerdict v) {
  switch (v) {
    case ClientCertVerdict::kNotOffered:
      return "not-offered";
    case ClientCertVerdict::kNotRequested:
      return "not-requested";
    case ClientCertVerdict::kNotSent:
      return "not-sent";
    case ClientCertVerdict::kRefused:
      return "refused";
    case ClientCertVerdict::kTlsAccepted:
      return "tls-accepted";
    case ClientCertVerdict::kUnknown:
      return "unknown";
  }
  return "?";
}

Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(ErrorCode::kBadInput, "invalid address '" + std::string(text) + "': expected [IPv6]:PORT");
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(ErrorCode::kBadInput, "invalid address '" + std::string(text) + "': expected HOST:PORT");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  long port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9')
      return fail(ErrorCode::kBadInput, "invalid port '" + std::string(port_text) + "'");
    port = port * 10 + (c - '0');
    if (port > 65535) break;
  }
  if (port_text.empty() || port < 1 || port > 65535)
    return fail(ErrorCode::kBadInput, "invalid port '" + std::string(port_text) + "': expected 1 to 65535");
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

namespace {

// The stapled answer, for the server's own certificate only; the rest of the chain is checked with
// the CRLs given, if any.
class StapledOcsp final : public verify::OcspSource {
 public:
  StapledOcsp(cert::CertificatePtr leaf, const std::optional<Bytes>& staple)
      : leaf_(std::move(leaf)), staple_(staple) {}
  std::optional<verify::OcspAnswer> answer(const cert::Certificate& certificate,
                                           const cert::Certificate&) const override {
    if (!staple_ || certificate.fingerprint() != leaf_->fingerprint()) return std::nullopt;
    return verify::OcspAnswer{*staple_, std::nullopt, "the server (stapled)", {}};
  }

 private:
  cert::CertificatePtr leaf_;
  const std::optional<Bytes>& staple_;
};

}  // namespace

Result<ProbeResult> run(const ProbeOptions& probe, const verify::CertificateSet& anchors,
                        const verify::CertificateSet& intermediates, const verify::CrlSet& crls,
                        verify::VerifyOptions options) {
  if (probe.http_get && (probe.http_get->empty() || probe.http_get->front() != '/' ||
                         probe.http_get->find_first_of(" \r\n") != std::string::npos))
    return fail(ErrorCode::kBadInput, "the HTTP path must start with '/' and hold no spaces or line breaks");
  OsslPtr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return fail_openssl(ErrorCode::kInternal, "cannot create a TLS context");
  // TLS 1.2 and 1.3 (RFC 8996 deprecates the older versions).
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // the verifier judges, below
  SSL_CTX_set_info_callback(ctx.get(), on_info);
  SSL_CTX_set_msg_callback(ctx.get(), on_message);
  if (probe.client_cert_file) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), probe.client_cert_file->c_str()) != 1)
      return fail_openssl(ErrorCode::kBadInput,
                          "cannot use the client certificate '" + *probe.client_cert_file + "'");
    if (!probe.client_key)
      return fail(ErrorCode::kBadInput, Field::kClientKey, "a client certificate needs its private key");
    if (SSL_CTX_use_PrivateKey(ctx.get(), probe.client_key.get()) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1)
      return fail_openssl(ErrorCode::kBadInput, "the client key does not match the client certificate");
  }

  ProbeResult result;
  result.client_certificate.offered = probe.client_cert_file.has_value();
  const auto deadline = Clock::now() + probe.timeout;
  Socket sock = connect_tcp(probe.host, probe.port, deadline, result);
  if (sock.get() < 0) {
    result.client_certificate.verdict = client_cert_verdict(result);
    return result;
  }

  OsslPtr<SSL> ssl(SSL_new(ctx.get()));
  SSL_set_app_data(ssl.get(), &result);
  SSL_set_fd(ssl.get(), sock.get());
  const bool name_is_ip = cert::parse_ip(probe.servername).has_value();
  // RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted in HostName".
  if (!name_is_ip) SSL_set_tlsext_host_name(ssl.get(), probe.servername.c_str());
  SSL_set_tlsext_status_type(ssl.get(), TLSEXT_STATUSTYPE_ocsp);  // status_request: ask for a staple
  set_io_timeout(sock.get(), remaining_ms(deadline));
  errno = 0;
  if (SSL_connect(ssl.get()) != 1) {
    result.failure = (errno == EAGAIN || errno == EWOULDBLOCK) && result.alert.empty() ? Failure::kTimedOut
                                                                                       : Failure::kHandshake;
    result.failure_message = result.failure == Failure::kTimedOut
                                 ? "the TLS handshake timed out"
                                 : ssl_failure(result, "during the handshake");
  } else {
    result.handshake_completed = true;
  }
  if (result.failure == Failure::kNone || result.failure == Failure::kHandshake) {
    result.protocol = SSL_get_version(ssl.get());
    if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl.get())) {
      result.cipher = SSL_CIPHER_get_name(c);
      result.cipher_bits = SSL_CIPHER_get_bits(c, nullptr);
    }
  }
  if (result.failure == Failure::kNone) {
    if (probe.http_get)
      http_get(ssl.get(), sock.get(), probe, deadline, result);
    else
      await_first_response(ssl.get(), sock.get(), deadline, result);
  }
  result.client_certificate.verdict = client_cert_verdict(result);

  // The chain the server presented (libssl keeps it even when the connection failed later).
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get())) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      auto c = cert::Certificate::from_x509(up_ref(sk_X509_value(chain, i)));
      if (c) result.peer_chain.push_back(*c);
    }
  }
  const unsigned char* staple = nullptr;
  const long staple_len = SSL_get_tlsext_status_ocsp_resp(ssl.get(), &staple);
  if (staple && staple_len > 0) result.stapled_ocsp = Bytes(staple, staple + staple_len);
  drain_openssl_errors();
  if (result.peer_chain.empty()) return result;

  verify::CertificateSet pool;
  for (const auto& c : intermediates.all()) pool.add(c);
  for (std::size_t i = 1; i < result.peer_chain.size(); ++i) pool.add(result.peer_chain[i]);
  options.purpose = verify::Purpose::kServer;
  options.host = probe.servername;
  options.ip.reset();
  const StapledOcsp stapled(result.peer_chain.front(), result.stapled_ocsp);
  verify::Verifier verifier({&anchors, &pool, crls.empty() ? nullptr : &crls, &stapled});
  PKI_ASSIGN(auto v, verifier.verify(result.peer_chain.front(), options));
  result.verification = std::move(v);
  return result;
}

}  // namespace pki::probe
