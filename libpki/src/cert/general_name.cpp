#include "pki/cert/general_name.h"

#include <arpa/inet.h>

#include <cctype>

#include "pki/cert/certificate.h"
#include "pki/cert/name.h"
#include "pki/core/der.h"

namespace pki::cert {

std::string ip_to_string(BytesView bytes) {
  char buf[INET6_ADDRSTRLEN];
  auto addr = [&](BytesView a) -> std::string {
    if (a.size() == 4) return inet_ntop(AF_INET, a.data(), buf, sizeof buf) ? buf : "?";
    if (a.size() == 16) return inet_ntop(AF_INET6, a.data(), buf, sizeof buf) ? buf : "?";
    return "#" + to_hex(a);
  };
  if (bytes.size() == 8 || bytes.size() == 32) {
    const std::size_t half = bytes.size() / 2;
    int prefix = 0;
    for (std::size_t i = half; i < bytes.size(); ++i)
      for (int b = 7; b >= 0; --b) prefix += (bytes[i] >> b) & 1;
    return addr(bytes.subspan(0, half)) + "/" + std::to_string(prefix);
  }
  return addr(bytes);
}

std::string to_string(const GeneralName& name) {
  switch (name.type) {
    case GeneralNameType::kDns:
      return "DNS:" + name.text;
    case GeneralNameType::kIp:
      return "IP:" + ip_to_string(name.bytes);
    case GeneralNameType::kEmail:
      return "EMAIL:" + name.text;
    case GeneralNameType::kUri:
      return "URI:" + name.text;
    case GeneralNameType::kDirectory:
      return "DirName:" + name.text;
    case GeneralNameType::kRegisteredId:
      return "RID:" + name.text;
    case GeneralNameType::kOtherName:
      return "othername:#" + to_hex(name.bytes);
    case GeneralNameType::kX400:
      return "X400:#" + to_hex(name.bytes);
    case GeneralNameType::kEdiParty:
      return "EdiParty:#" + to_hex(name.bytes);
  }
  return "?";
}

Result<std::string> parse_dns_name(std::string_view text, std::string_view what, Wildcard wildcard) {
  const std::string shown(text);
  auto bad = [&](const std::string& why) {
    return fail(ErrorCode::kBadInput, "invalid " + std::string(what) + " '" + shown + "': " + why);
  };
  if (text.empty()) return bad("empty");
  // RFC 1035 2.3.4: 255 octets on the wire, so 253 as text without the root's trailing dot.
  if (text.size() > 253) return bad("longer than 253 characters");
  if (text.back() == '.') return bad("trailing dot");
  std::string out;
  out.reserve(text.size());
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '.') continue;
    const std::string_view label = text.substr(label_start, i - label_start);
    if (label.empty()) return bad("empty label");
    if (label == "*") {
      if (wildcard == Wildcard::kRefuse) return bad("wildcards are not allowed here");
      if (label_start != 0) return bad("a wildcard may only be the whole leftmost label");
      if (i == text.size()) return bad("a wildcard needs a domain under it");
    } else {
      // RFC 1035 2.3.4: labels of at most 63 octets.
      if (label.size() > 63) return bad("label longer than 63 characters");
      for (char c : label) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) return bad("non-ASCII: write internationalised names as A-labels (xn--...)");
        if (c == '*') return bad("a wildcard may only be the whole leftmost label");
        if (!std::isalnum(u) && c != '-')
          return bad(std::string("character '") + c + "' is not allowed in a host name");
      }
      // RFC 5891 4.2.3.1 / RFC 952: no hyphen at either end of a label.
      if (label.front() == '-' || label.back() == '-') return bad("a label may not begin or end with '-'");
    }
    for (char c : label) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (i < text.size()) out.push_back('.');
    label_start = i + 1;
  }
  return out;
}

Result<Bytes> parse_ip(std::string_view text) {
  const std::string s(text);
  Bytes out(16);
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
      out.resize(4);
      return out;
    }
  } else if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    return out;
  }
  return fail(ErrorCode::kBadInput, "invalid IP address '" + s + "'");
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

Result<std::string> parse_email(std::string_view text) {
  const std::string shown(text);
  const std::size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0)
    return fail(ErrorCode::kBadInput, "invalid email address '" + shown + "': expected local@domain");
  for (char c : text.substr(0, at)) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '@')
      return fail(ErrorCode::kBadInput,
                  "invalid email address '" + shown + "': bad character in the local part");
  }
  PKI_ASSIGN(std::string domain, parse_dns_name(text.substr(at + 1), "email domain", Wildcard::kRefuse));
  return std::string(text.substr(0, at + 1)) + domain;
}

Result<std::string> parse_uri(std::string_view text) {
  const std::string shown(text);
  const std::size_t colon = text.find(':');
  auto bad = [&](const std::string& why) {
    return fail(ErrorCode::kBadInput, "invalid URI '" + shown + "': " + why);
  };
  if (colon == std::string_view::npos || colon == 0) return bad("no scheme");
  // RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (!std::isalpha(static_cast<unsigned char>(text[0]))) return bad("the scheme must start with a letter");
  for (char c : text.substr(0, colon))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return bad("bad scheme");
  if (colon + 1 == text.size()) return bad("nothing after the scheme");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return bad("spaces and non-ASCII characters must be percent-encoded");
  }
  return shown;
}

}  // namespace

Result<GeneralName> parse_san(std::string_view text, Wildcard wildcard) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return fail(ErrorCode::kBadInput,
                "invalid SAN '" + std::string(text) + "': expected DNS:, IP:, EMAIL: or URI:");
  const std::string_view type = text.substr(0, colon);
  const std::string_view value = text.substr(colon + 1);
  if (value.empty())
    return fail(ErrorCode::kBadInput, "invalid SAN '" + std::string(text) + "': empty value");
  GeneralName gn;
  if (iequals(type, "DNS")) {
    gn.type = GeneralNameType::kDns;
    PKI_ASSIGN(gn.text, parse_dns_name(value, "DNS name", wildcard));
  } else if (iequals(type, "IP")) {
    gn.type = GeneralNameType::kIp;
    PKI_ASSIGN(gn.bytes, parse_ip(value));
  } else if (iequals(type, "EMAIL")) {
    gn.type = GeneralNameType::kEmail;
    PKI_ASSIGN(gn.text, parse_email(value));
  } else if (iequals(type, "URI")) {
    gn.type = GeneralNameType::kUri;
    PKI_ASSIGN(gn.text, parse_uri(value));
  } else {
    return fail(ErrorCode::kBadInput, "invalid SAN '" + std::string(text) + "': unknown type '" +
                                          std::string(type) + "' (DNS, IP, EMAIL, URI)");
  }
  return gn;
}

Bytes encode(const GeneralName& name) {
  const int n = static_cast<int>(name.type);
  switch (name.type) {
    case GeneralNameType::kEmail:
    case GeneralNameType::kDns:
    case GeneralNameType::kUri:
      return der::tlv(der::tag::context(n), as_bytes(name.text));
    case GeneralNameType::kIp:
      return der::tlv(der::tag::context(n), name.bytes);
    case GeneralNameType::kDirectory:
      return der::tlv(der::tag::context_constructed(n), name.bytes);
    case GeneralNameType::kRegisteredId:
      return der::tlv(der::tag::context(n), name.bytes);
    default:
      return name.bytes;  // kept as the whole encoded GeneralName
  }
}

namespace {

std::string ia5(const ASN1_IA5STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

}  // namespace

Result<GeneralName> from_openssl(const GENERAL_NAME& gn) {
  GeneralName out;
  out.type = static_cast<GeneralNameType>(gn.type);
  switch (gn.type) {
    case GEN_EMAIL:
    case GEN_DNS:
    case GEN_URI:
      out.text = ia5(gn.d.ia5);
      break;
    case GEN_IPADD: {
      const auto* p = ASN1_STRING_get0_data(gn.d.ip);
      out.bytes.assign(p, p + ASN1_STRING_length(gn.d.ip));
      break;
    }
    case GEN_DIRNAME: {
      PKI_ASSIGN(out.bytes, name_der(*gn.d.directoryName));
      out.text = format_dn(*gn.d.directoryName);
      break;
    }
    case GEN_RID: {
      out.text = oid_text(*gn.d.rid);
      const unsigned char* content = OBJ_get0_data(gn.d.rid);
      out.bytes.assign(content, content + OBJ_length(gn.d.rid));
      break;
    }
    default: {
      unsigned char* buf = nullptr;
      const int n = i2d_GENERAL_NAME(&gn, &buf);
      if (n < 0) return fail_openssl(ErrorCode::kBadInput, "cannot encode a general name");
      out.bytes.assign(buf, buf + n);
      OPENSSL_free(buf);
    }
  }
  return out;
}

Result<std::vector<GeneralName>> from_openssl(const GENERAL_NAMES& names) {
  std::vector<GeneralName> out;
  for (int i = 0; i < sk_GENERAL_NAME_num(&names); ++i) {
    PKI_ASSIGN(GeneralName gn, from_openssl(*sk_GENERAL_NAME_value(&names, i)));
    out.push_back(std::move(gn));
  }
  return out;
}

}  // namespace pki::cert
