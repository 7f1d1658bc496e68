#include "pki/verify/hostname.h"

#include <cctype>

namespace pki::verify {

Result<std::string> normalize_host(std::string_view host) {
  const std::string shown(host);
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // an absolute name, same host
  if (host.empty() || host.size() > 253)
    return fail(ErrorCode::kBadInput, "invalid host name '" + shown + "'");
  std::string out;
  out.reserve(host.size());
  std::size_t label = 0;
  for (char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80)
      return fail(
          ErrorCode::kBadInput,
          "host name '" + shown + "' is not ASCII: give internationalised names as A-labels (xn--...)");
    if (c == '.') {
      if (label == 0) return fail(ErrorCode::kBadInput, "invalid host name '" + shown + "': empty label");
      label = 0;
    } else {
      // Letters, digits, hyphens; underscores too, which real hosts carry though RFC 952 does not.
      if (!std::isalnum(u) && c != '-' && c != '_')
        return fail(ErrorCode::kBadInput,
                    "invalid host name '" + shown + "': character '" + std::string(1, c) + "'");
      ++label;
    }
    out.push_back(static_cast<char>(std::tolower(u)));
  }
  if (label == 0) return fail(ErrorCode::kBadInput, "invalid host name '" + shown + "': empty label");
  return out;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool dns_id_matches(std::string_view pattern_in, std::string_view host_in) {
  std::string pattern = lower(pattern_in);
  const std::string host_lower = lower(host_in);
  std::string_view host = host_lower;
  if (!pattern.empty() && pattern.back() == '.') pattern.pop_back();
  if (pattern.empty() || host.empty()) return false;
  if (pattern.rfind("*.", 0) != 0) {
    // A '*' anywhere else (a partial-label wildcard such as "f*.example.com") never matches
    // (RFC 9525 6.3: the wildcard must be the complete leftmost label).
    if (pattern.find('*') != std::string::npos) return false;
    return pattern == host;
  }
  const std::string_view base = std::string_view(pattern).substr(2);
  // "*.com" would cover a whole top-level domain: a wildcard needs at least two labels under it.
  if (base.find('.') == std::string_view::npos || base.find('*') != std::string_view::npos) return false;
  const std::size_t dot = host.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;  // exactly one label, not empty
  return host.substr(dot + 1) == base;
}

std::optional<std::string> match_host(const cert::Certificate& cert, const std::string& host) {
  if (!cert.subject_alt_names()) return std::nullopt;
  for (const auto& n : *cert.subject_alt_names())
    if (n.type == cert::GeneralNameType::kDns && dns_id_matches(n.text, host)) return cert::to_string(n);
  return std::nullopt;
}

std::optional<std::string> match_ip(const cert::Certificate& cert, BytesView ip) {
  if (!cert.subject_alt_names()) return std::nullopt;
  for (const auto& n : *cert.subject_alt_names())
    if (n.type == cert::GeneralNameType::kIp && n.bytes.size() == ip.size() &&
        std::equal(n.bytes.begin(), n.bytes.end(), ip.begin()))
      return cert::to_string(n);
  return std::nullopt;
}

}  // namespace pki::verify
