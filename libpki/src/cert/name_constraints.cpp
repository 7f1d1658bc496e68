#include "pki/cert/name_constraints.h"

#include <algorithm>
#include <cctype>

#include "pki/cert/name.h"

namespace pki::cert {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Host names compare lowercased and without one trailing dot: "example.com." is example.com.
std::string canonical_host(std::string_view s) {
  std::string out = lower(s);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// DNS subtree: "example.com" holds example.com and every name made by adding labels on the left;
// a leading '.' (not RFC 5280's form, but common) holds only the names below.
bool dns_within(std::string_view name_in, std::string_view base_in) {
  const std::string name = canonical_host(name_in), base = canonical_host(base_in);
  if (base.empty()) return true;
  if (base.front() == '.') return ends_with(name, base);
  return name == base || ends_with(name, "." + base);
}

// Could the wildcard DNS name "*.B" stand for a name in the subtree `base`? It stands for every
// one-label name under B, so it reaches into a subtree exactly one label below B, as well as
// into any subtree that holds B's children (CVE-2025-61727 in Go was this case missed).
bool wildcard_reaches(std::string_view wildcard, std::string_view base_in) {
  const std::string w = canonical_host(wildcard);
  if (w.rfind("*.", 0) != 0) return false;
  const std::string b = w.substr(2);
  std::string base = canonical_host(base_in);
  if (!base.empty() && base.front() == '.') base.erase(0, 1);
  if (!ends_with(base, "." + b)) return false;
  const std::string label = base.substr(0, base.size() - b.size() - 1);
  return !label.empty() && label.find('.') == std::string::npos;
}

// A host against an rfc822Name/URI-style host constraint: ".example.com" holds hosts below
// example.com, "example.com" holds that host alone.
bool host_within(std::string_view host_in, std::string_view base_in) {
  const std::string host = canonical_host(host_in), base = canonical_host(base_in);
  if (base.empty()) return true;
  if (base.front() == '.') return ends_with(host, base);
  return host == base;
}

bool email_within(std::string_view mailbox, std::string_view base) {
  const std::size_t at = mailbox.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string_view local = mailbox.substr(0, at), domain = mailbox.substr(at + 1);
  const std::size_t base_at = base.rfind('@');
  if (base_at != std::string_view::npos)  // a particular mailbox: local part exact, domain case-insensitive
    return local == base.substr(0, base_at) &&
           canonical_host(domain) == canonical_host(base.substr(base_at + 1));
  return host_within(domain, base);
}

// The host of a URI with an authority ("scheme://[userinfo@]host[:port]/..."); nullopt otherwise.
// A backslash ends the authority as a slash does, as WHATWG URL parsers (and so browsers) read it.
std::optional<std::string> uri_host(std::string_view uri) {
  const std::size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::string_view rest = uri.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#\\"));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return std::string(rest.substr(1, close - 1));
  }
  rest = rest.substr(0, rest.find(':'));
  if (rest.empty()) return std::nullopt;
  return std::string(rest);
}

bool is_ip_literal(const std::string& host) { return parse_ip(host).has_value(); }

// RFC 5321 4.1.2's Local-part, which an rfc822Name's is (RFC 5280 4.2.1.6: a Mailbox):
// Dot-string (atoms of letters, digits and !#$%&'*+-/=?^_`{|}~ joined by single dots) or
// Quoted-string (printable ASCII between double quotes, '"' and '\' escaped with '\').
bool mailbox_local_part(std::string_view local) {
  if (local.size() >= 2 && local.front() == '"' && local.back() == '"') {
    for (std::size_t i = 1; i + 1 < local.size(); ++i) {
      const auto c = static_cast<unsigned char>(local[i]);
      if (c == '\\') {
        if (i + 2 >= local.size()) return false;  // the escape needs a character before the quote
        const auto next = static_cast<unsigned char>(local[++i]);
        if (next < 0x20 || next > 0x7e) return false;
      } else if (c < 0x20 || c > 0x7e || c == '"') {
        return false;
      }
    }
    return true;
  }
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  bool after_dot = true;  // no leading dot, no two in a row
  for (const char ch : local) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '.') {
      if (after_dot) return false;
      after_dot = true;
    } else if (c < 0x80 && (std::isalnum(c) || kSpecials.find(ch) != std::string_view::npos)) {
      after_dot = false;
    } else {
      return false;
    }
  }
  return !after_dot;  // nor a trailing one
}

// Can this name be judged by constraints of its type? RFC 5280 4.2.1.10: a name of a constrained
// form that cannot be processed must make the certificate fail, never slip past an exclusion.
bool well_formed(const GeneralName& n) {
  switch (n.type) {
    case GeneralNameType::kDns: {
      std::string host = n.text;
      if (!host.empty() && host.back() == '.') host.pop_back();
      return parse_dns_name(host, "DNS name", Wildcard::kAllow).has_value();
    }
    case GeneralNameType::kEmail: {
      const std::size_t at = n.text.rfind('@');
      return at != std::string::npos && at > 0 && at + 1 < n.text.size() &&
             mailbox_local_part(std::string_view(n.text).substr(0, at)) &&
             parse_dns_name(canonical_host(n.text.substr(at + 1)), "domain", Wildcard::kRefuse).has_value();
    }
    case GeneralNameType::kUri: {
      const auto host = uri_host(n.text);
      return host && !host->empty();
    }
    case GeneralNameType::kIp:
      return n.bytes.size() == 4 || n.bytes.size() == 16;
    case GeneralNameType::kDirectory: {
      const unsigned char* p = n.bytes.data();
      OsslPtr<X509_NAME> name(d2i_X509_NAME(nullptr, &p, static_cast<long>(n.bytes.size())));
      return name != nullptr;
    }
    default:
      return false;
  }
}

bool ip_within(BytesView addr, BytesView base) {
  if (base.size() != addr.size() * 2) return false;  // families differ, or a malformed constraint
  for (std::size_t i = 0; i < addr.size(); ++i) {
    const std::uint8_t mask = base[addr.size() + i];
    if ((addr[i] & mask) != (base[i] & mask)) return false;
  }
  return true;
}

OsslPtr<X509_NAME> parse_name(BytesView der) {
  const unsigned char* p = der.data();
  return OsslPtr<X509_NAME>(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
}

std::string canonical_value(const ASN1_STRING* value) {
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) {
    drain_openssl_errors();
    return "#" + to_hex(BytesView(ASN1_STRING_get0_data(value),
                                  static_cast<std::size_t>(ASN1_STRING_length(value))));
  }
  std::string out;
  bool space = false;
  for (int i = 0; i < len; ++i) {
    const char c = static_cast<char>(utf8[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

std::vector<std::string> canonical_rdns(const X509_NAME& name) {
  std::vector<std::vector<std::string>> rdns;
  int last_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(&name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(&name, i);
    if (X509_NAME_ENTRY_set(e) != last_set || rdns.empty()) rdns.emplace_back();
    last_set = X509_NAME_ENTRY_set(e);
    rdns.back().push_back(oid_text(*X509_NAME_ENTRY_get_object(e)) + "=" +
                          canonical_value(X509_NAME_ENTRY_get_data(e)));
  }
  std::vector<std::string> out;
  for (auto& rdn : rdns) {
    std::sort(rdn.begin(), rdn.end());
    std::string joined;
    for (const auto& ava : rdn) joined += (joined.empty() ? "" : "+") + ava;
    out.push_back(std::move(joined));
  }
  return out;
}

bool within_subtree(const GeneralName& name, const GeneralName& base) {
  if (name.type != base.type) return false;
  switch (name.type) {
    case GeneralNameType::kDns:
      return dns_within(name.text, base.text);
    case GeneralNameType::kEmail:
      return email_within(name.text, base.text);
    case GeneralNameType::kUri: {
      const auto host = uri_host(name.text);
      return host && host_within(*host, base.text);
    }
    case GeneralNameType::kIp:
      return ip_within(name.bytes, base.bytes);
    case GeneralNameType::kDirectory: {
      const auto n = parse_name(name.bytes), b = parse_name(base.bytes);
      if (!n || !b) return false;
      const auto nr = canonical_rdns(*n), br = canonical_rdns(*b);
      return br.size() <= nr.size() && std::equal(br.begin(), br.end(), nr.begin());
    }
    default:
      return false;
  }
}

bool cn_is_host_name(std::string_view cn) {
  if (cn.find('.') == std::string_view::npos) return false;
  // A dotted-decimal address is never a host name: a host name's top label is not all digits
  // (RFC 1123 2.1), and an IP address is an IP identity, not a DNS one (RFC 9525). Read as a DNS
  // name, "127.0.0.1" would fall outside every DNS permitted subtree.
  const std::string_view top = cn.substr(cn.rfind('.') + 1);
  if (std::all_of(top.begin(), top.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  return parse_dns_name(cn, "CN", Wildcard::kAllow).has_value();
}

std::vector<GeneralName> subject_names(const X509_NAME& subject, const std::vector<GeneralName>& sans) {
  std::vector<GeneralName> names;
  if (X509_NAME_entry_count(&subject) == 0) return names;
  GeneralName dn{GeneralNameType::kDirectory, format_dn(subject), {}};
  if (auto der = name_der(subject)) dn.bytes = std::move(*der);
  names.push_back(std::move(dn));
  for (int i = -1; (i = X509_NAME_get_index_by_NID(&subject, NID_pkcs9_emailAddress, i)) >= 0;) {
    const ASN1_STRING* v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(&subject, i));
    names.push_back(GeneralName{GeneralNameType::kEmail,
                                std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                                            static_cast<std::size_t>(ASN1_STRING_length(v))),
                                {}});
  }
  const bool has_dns = std::any_of(sans.begin(), sans.end(),
                                   [](const GeneralName& n) { return n.type == GeneralNameType::kDns; });
  if (!has_dns)
    for (const auto& cn : common_names(subject))
      if (cn_is_host_name(cn)) names.push_back(GeneralName{GeneralNameType::kDns, cn, {}});
  return names;
}

std::vector<GeneralName> constrained_names(const Certificate& cert) {
  std::vector<GeneralName> names;
  if (cert.subject_alt_names()) names = *cert.subject_alt_names();
  auto more = subject_names(cert.subject(), names);
  names.insert(names.end(), more.begin(), more.end());
  return names;
}

std::string describe(const ConstraintViolation& v) {
  switch (v.kind) {
    case ConstraintViolation::Kind::kNotPermitted:
      return to_string(v.name) + " is outside the permitted subtrees";
    case ConstraintViolation::Kind::kExcluded:
      return to_string(v.name) + " is within the excluded subtree " +
             (v.subtree ? to_string(*v.subtree) : "");
    case ConstraintViolation::Kind::kUnsupported:
      return to_string(v.name) + " cannot be checked against the name constraints of its type";
  }
  return {};
}

std::optional<ConstraintViolation> check(const NameConstraints& constraints,
                                         std::span<const GeneralName> names) {
  auto supported = [](GeneralNameType t) {
    return t == GeneralNameType::kDns || t == GeneralNameType::kEmail || t == GeneralNameType::kUri ||
           t == GeneralNameType::kIp || t == GeneralNameType::kDirectory;
  };
  for (const GeneralName& name : names) {
    bool has_permitted = false, in_permitted = false;
    for (const auto& sub : constraints.permitted) {
      if (sub.base.type != name.type) continue;
      has_permitted = true;
      if (within_subtree(name, sub.base)) in_permitted = true;
    }
    const bool has_excluded = std::any_of(constraints.excluded.begin(), constraints.excluded.end(),
                                          [&](const GeneralSubtree& s) { return s.base.type == name.type; });
    if (!supported(name.type)) {
      // RFC 5280 6.1: a name of a type whose constraints cannot be processed must be refused when
      // the type is constrained.
      if (has_permitted || has_excluded)
        return ConstraintViolation{name, ConstraintViolation::Kind::kUnsupported, {}};
      continue;
    }
    if ((has_permitted || has_excluded) && !well_formed(name))
      return ConstraintViolation{name, ConstraintViolation::Kind::kUnsupported, {}};
    if (name.type == GeneralNameType::kUri && (has_permitted || has_excluded)) {
      // URI constraints name hosts; an IP address as the host cannot be judged by them (Go
      // refuses these too).
      const auto host = uri_host(name.text);
      if (host && is_ip_literal(*host))
        return ConstraintViolation{name, ConstraintViolation::Kind::kUnsupported, {}};
    }
    if (has_permitted && !in_permitted)
      return ConstraintViolation{name, ConstraintViolation::Kind::kNotPermitted, {}};
    for (const auto& sub : constraints.excluded) {
      if (sub.base.type != name.type) continue;
      if (within_subtree(name, sub.base) ||
          (name.type == GeneralNameType::kDns && wildcard_reaches(name.text, sub.base.text)))
        return ConstraintViolation{name, ConstraintViolation::Kind::kExcluded, sub.base};
    }
  }
  return std::nullopt;
}

}  // namespace pki::cert
