// Host name matching (RFC 9525): the input is "PATTERN\nHOST". A host pki accepts as a reference
// matches itself as a DNS-ID, and never a pattern that differs from it but for a wildcard.
#include "fuzz.h"
#include "pki/verify/hostname.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pki;
  const std::string_view in = fuzz::text(data, size);
  const std::size_t nl = in.find('\n');
  const std::string_view pattern = in.substr(0, nl);
  const std::string_view host = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  auto normalized = verify::normalize_host(host);
  if (!normalized) return 0;
  const bool matched = verify::dns_id_matches(pattern, *normalized);
  if (normalized->find('*') == std::string::npos)
    PKI_FUZZ_ASSERT(verify::dns_id_matches(*normalized, *normalized));
  if (matched && pattern.find('*') == std::string_view::npos) {
    // Without a wildcard only the same name (ASCII case aside, one trailing dot aside) matches.
    std::string p(pattern);
    if (!p.empty() && p.back() == '.') p.pop_back();
    PKI_FUZZ_ASSERT(p.size() == normalized->size());
    for (std::size_t i = 0; i < p.size(); ++i) {
      const char a = (p[i] >= 'A' && p[i] <= 'Z') ? static_cast<char>(p[i] + 32) : p[i];
      PKI_FUZZ_ASSERT(a == (*normalized)[i]);
    }
  }
  return 0;
}
