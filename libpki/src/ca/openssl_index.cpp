// The openssl ca database (index.txt): one line per certificate, six tab-separated fields
//   status   V (valid), R (revoked) or E (expired)
//   expiry   UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ
//   revoked  empty, or "date[,reason[,extra]]": extra is the invalidity date for keyCompromise and
//            CACompromise (and OpenSSL's keyTime and CAkeyTime), a hold instruction for
//            certificateHold (OpenSSL's -crl_hold writes holdInstruction; pki records the hold, the
//            instruction is not kept); removeFromCRL (a hold lifted) is imported as valid
//   serial   hexadecimal
//   file     "unknown", or the certificate's file name
//   subject  the subject in OpenSSL's one-line form, /C=../O=../CN=..
// as OpenSSL's apps/ca.c writes it (easy-rsa runs openssl ca, so its pki/index.txt is the same).
#include "openssl_index.h"

#include <sys/stat.h>

#include <charconv>

#include "pki/cert/crl_reason.h"
#include "pki/cert/oids.h"
#include "pki/core/io.h"
#include "pki/keys/keys.h"

namespace pki::ca {

namespace {

// An index of a few million lines is a few hundred megabytes.
constexpr std::size_t kMaxIndexSize = std::size_t{2} << 30;

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

bool digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int number(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// RFC 5280 4.1.2.5.1 and 4.1.2.5.2, as openssl ca writes them (always in UTC, with seconds).
std::optional<TimePoint> parse_index_time(std::string_view t) {
  if (t.empty() || t.back() != 'Z') return std::nullopt;
  t.remove_suffix(1);
  int year = 0;
  if (t.size() == 12 && digits(t)) {
    const int yy = number(t.substr(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    t.remove_prefix(2);
  } else if (t.size() == 14 && digits(t)) {
    year = number(t.substr(0, 4));
    t.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const int mon = number(t.substr(0, 2)), day = number(t.substr(2, 2)), h = number(t.substr(4, 2)),
            m = number(t.substr(6, 2)), s = number(t.substr(8, 2));
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(mon)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || h > 23 || m > 59 || s > 59) return std::nullopt;
  return TimePoint{std::chrono::sys_days{ymd}} + std::chrono::hours{h} + std::chrono::minutes{m} +
         std::chrono::seconds{s};
}

// Lower case without leading zeros, as pki writes serials; nullopt when not hexadecimal.
std::optional<std::string> index_serial(std::string_view hex) {
  if (hex.empty()) return std::nullopt;
  std::string out;
  out.reserve(hex.size());
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (out.empty() && c == '0') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out.empty() ? "0" : out;
}

// "/C=DE/O=Example/CN=alice" -> "C=DE, O=Example, CN=alice" (the caller checked the leading '/').
std::string index_subject(std::string_view s) {
  std::string out;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size())
      out.push_back(s[++i]);
    else if (s[i] == '/')
      out += ", ";
    else
      out.push_back(s[i]);
  }
  return out;
}

std::string profile_of(const cert::Certificate& c) {
  if (c.basic_constraints() && c.basic_constraints()->ca) return "intermediate-ca";
  bool server = false, client = false;
  if (c.extended_key_usage())
    for (const auto& oid : *c.extended_key_usage()) {
      server = server || oid == oid::kServerAuth;
      client = client || oid == oid::kClientAuth;
    }
  return server && client ? "server-client" : server ? "server" : client ? "client" : "imported";
}

bool signed_by(const cert::Certificate& ca, const cert::Certificate& c) {
  if (X509_check_issued(ca.x509_mutable(), c.x509_mutable()) != X509_V_OK) return false;
  const EVP_PKEY* key = ca.public_key();
  return key && X509_verify(c.x509_mutable(), const_cast<EVP_PKEY*>(key)) == 1;
}

struct Parser {
  const std::string& index_path;
  std::vector<std::string> cert_dirs;
  const cert::Certificate& ca;
  std::size_t line = 0;

  tl::unexpected<Error> bad(const std::string& why) const {
    return fail(ErrorCode::kBadInput, Field::kIndex, index_path + ":" + std::to_string(line) + ": " + why);
  }

  std::optional<std::string> find_file(std::string_view file_field, std::string_view serial_field) const {
    if (file_field != "unknown" && !file_field.empty()) {
      std::string f(file_field);
      if (f.front() != '/') f = dir_of(index_path) + "/" + f;
      if (is_file(f)) return f;
    }
    for (const auto& dir : cert_dirs)
      for (const char* ext : {".pem", ".crt"}) {
        std::string f = dir + "/" + std::string(serial_field) + ext;
        if (is_file(f)) return f;
      }
    return std::nullopt;
  }

  // False when the line lifts a hold (removeFromCRL): the certificate is valid again.
  Result<bool> revocation(std::string_view field, store::RevocationRecord& out) const {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
      const auto comma = field.find(',', start);
      parts.push_back(
          field.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (parts.size() > 3)
      return bad("the revocation field '" + std::string(field) + "' has more than three parts");
    auto at = parse_index_time(parts[0]);
    if (!at) return bad("invalid revocation date '" + std::string(parts[0]) + "'");
    out.revoked_at = *at;
    out.reason = std::string(cert::to_string(cert::CrlReason::kUnspecified));
    if (parts.size() == 1) return true;
    std::string_view reason = parts[1];
    bool wants_date = false;
    if (reason == "keyTime" || reason == "CAkeyTime" || reason == "holdInstruction") {
      // OpenSSL's -crl_compromise, -crl_CA_compromise (the time) and -crl_hold (the instruction).
      if (parts.size() != 3) return bad("the reason " + std::string(reason) + " needs a third part");
      reason = reason == "keyTime"     ? "keyCompromise"
               : reason == "CAkeyTime" ? "cACompromise"
                                       : "certificateHold";
      wants_date = reason != "certificateHold";
    }
    auto parsed = cert::parse_crl_reason(reason);
    if (!parsed) return bad("unknown revocation reason '" + std::string(parts[1]) + "'");
    if (*parsed == cert::CrlReason::kRemoveFromCrl) {
      if (parts.size() == 3) return bad("the reason removeFromCRL takes no third part");
      return false;
    }
    out.reason = std::string(cert::to_string(*parsed));
    wants_date =
        wants_date || *parsed == cert::CrlReason::kKeyCompromise || *parsed == cert::CrlReason::kCaCompromise;
    if (parts.size() == 3 && wants_date) {
      auto inv = parse_index_time(parts[2]);
      if (!inv) return bad("invalid invalidity date '" + std::string(parts[2]) + "'");
      out.invalidity_date = *inv;
    } else if (parts.size() == 3 && *parsed != cert::CrlReason::kCertificateHold) {
      return bad("the reason " + out.reason + " takes no third part");
    }
    return true;
  }

  Result<IndexEntry> entry(std::string_view text, std::size_t& without_file) const {
    std::string_view f[6];
    std::size_t n = 0;
    for (std::size_t start = 0;;) {
      const auto tab = text.find('\t', start);
      if (n == 6) return bad("more than six tab-separated fields");
      f[n++] = text.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (n != 6) return bad("expected six tab-separated fields, found " + std::to_string(n));
    if (f[0] != "V" && f[0] != "R" && f[0] != "E")
      return bad("unknown status '" + std::string(f[0]) + "' (expected V, R or E)");
    IndexEntry e;
    e.line = line;
    auto expiry = parse_index_time(f[1]);
    if (!expiry) return bad("invalid expiry date '" + std::string(f[1]) + "'");
    e.record.not_after = *expiry;
    if (f[0] == "R") {
      if (f[2].empty()) return bad("a revoked (R) line without its revocation date");
      store::RevocationRecord r;
      PKI_ASSIGN(const bool revoked, revocation(f[2], r));
      if (revoked) e.record.revocation = std::move(r);
    } else if (!f[2].empty()) {
      return bad("a " + std::string(f[0]) + " line with a revocation date");
    }
    auto serial = index_serial(f[3]);
    if (!serial) return bad("invalid serial '" + std::string(f[3]) + "'");
    e.record.serial = std::move(*serial);
    if (f[5].empty() || f[5].front() != '/') return bad("invalid subject '" + std::string(f[5]) + "'");
    e.record.subject = index_subject(f[5]);
    e.record.origin = store::Origin::kImported;
    e.record.profile = "imported";
    e.record.key_type = "unknown";

    if (auto file = cert_dirs.empty() && f[4] == "unknown" ? std::nullopt : find_file(f[4], f[3])) {
      auto data = read_input(*file);
      if (!data) return bad("cannot read " + *file + ": " + data.error().message);
      auto x509s = parse_certificates(*data, *file);
      if (!x509s || x509s->empty()) return bad(*file + " holds no certificate");
      PKI_ASSIGN(auto c, cert::Certificate::from_x509(std::move(x509s->front())));
      if (c->serial_hex() != e.record.serial)
        return bad(*file + " holds serial " + c->serial_hex() + ", not " + e.record.serial);
      if (!signed_by(ca, *c)) return bad(*file + " was not signed by this CA's key");
      e.record.subject = c->subject_text();
      e.record.not_before = c->not_before();
      e.record.not_after = c->not_after();
      e.record.profile = profile_of(*c);
      if (const EVP_PKEY* key = c->public_key()) e.record.key_type = keys::type_name(*key);
      if (c->subject_alt_names())
        for (const auto& gn : *c->subject_alt_names()) e.record.sans.push_back(cert::to_string(gn));
      e.record.der = c->der();
      e.record.fingerprint = c->fingerprint();
    } else {
      ++without_file;
    }
    return e;
  }
};

Result<std::int64_t> read_crl_number(const std::string& path) {
  PKI_ASSIGN(std::string text, in_field(read_input(path, 1024), Field::kCrlNumber));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  std::int64_t next = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), next, 16);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || next < 1)
    return fail(ErrorCode::kBadInput, Field::kCrlNumber,
                "invalid CRL number file '" + path + "': expected the next CRL number in hexadecimal");
  return next - 1;
}

}  // namespace

Result<ImportedIndex> read_openssl_index(const std::string& index_path,
                                         const std::optional<std::string>& certs_dir,
                                         const std::optional<std::string>& crl_number_file,
                                         const cert::Certificate& ca) {
  PKI_ASSIGN(const std::string text, in_field(read_input(index_path, kMaxIndexSize), Field::kIndex));
  const std::string dir = dir_of(index_path);
  ImportedIndex out;
  Parser p{index_path, {}, ca};
  if (certs_dir) {
    if (!is_dir(*certs_dir))
      return fail(ErrorCode::kBadInput, Field::kCertsDir, "'" + *certs_dir + "' is not a directory");
    p.cert_dirs.push_back(*certs_dir);
  } else {
    // openssl ca's demoCA keeps new_certs_dir in newcerts/; easy-rsa keeps issued certificates in
    // certs_by_serial/ and moves a revoked one's to revoked/certs_by_serial/.
    for (const char* d : {"newcerts", "certs_by_serial", "revoked/certs_by_serial"})
      if (is_dir(dir + "/" + d)) p.cert_dirs.push_back(dir + "/" + d);
    if (p.cert_dirs.empty())
      out.warnings.push_back("no certificate files beside " + index_path +
                             " (newcerts/ or certs_by_serial/): the certificates are imported by serial only "
                             "(give --certs-dir if they are elsewhere)");
  }
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view l(text.data() + start, end - start);
    start = end + 1;
    ++p.line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty()) continue;
    PKI_ASSIGN(auto e, p.entry(l, out.without_file));
    // openssl ca -selfsign (CA.pl -newca) records the CA's own certificate: it is imported as the CA's.
    // Without its file the line is known by serial: the CA's own serial, issued by itself.
    if (e.record.fingerprint == ca.fingerprint() || (ca.self_issued() && e.record.serial == ca.serial_hex()))
      continue;
    if (e.record.revocation) ++out.revoked;
    out.entries.push_back(std::move(e));
  }
  const std::string number_file = crl_number_file.value_or(dir + "/crlnumber");
  if (crl_number_file || is_file(number_file)) {
    PKI_ASSIGN(out.crl_number_floor, read_crl_number(number_file));
  } else {
    out.warnings.push_back(
        "no crlnumber file beside " + index_path +
        ": pki numbers this CA's CRLs from 1; if it published CRLs before, give --crl-number");
  }
  if (out.without_file && !p.cert_dirs.empty())
    out.warnings.push_back(
        std::to_string(out.without_file) +
        " certificate(s) of the index have no file: imported by serial, subject, expiry and "
        "revocation");
  return out;
}

}  // namespace pki::ca
