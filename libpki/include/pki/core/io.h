// Files, PEM and DER: reading input in either encoding (detected), and writing output atomically.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pki/core/bytes.h"
#include "pki/core/error.h"
#include "pki/core/ossl.h"

namespace pki {

enum class Encoding { kPem, kDer };

// The most read_input takes: 64 MiB, above a CRL of a million entries (about 40 MB in DER), so
// that a device without end (/dev/zero) or a wrong file is refused instead of filling memory.
inline constexpr std::size_t kMaxInputSize = std::size_t{64} << 20;
// A whole file, or the stream on descriptor `fd` (standard input), of at most `max_size` bytes:
// kBadInput beyond it, for a missing file and for a directory. `name` is how
// messages show the input.
Result<std::string> read_input(const std::string& path, std::size_t max_size = kMaxInputSize);
Result<std::string> read_descriptor(int fd, std::string_view name, std::size_t max_size = kMaxInputSize);
// read_input into bytes, for binary input kept as read (a DER CRL).
Result<Bytes> read_input_bytes(const std::string& path, std::size_t max_size = kMaxInputSize);

// kAllow: an existing file is replaced. kRefuse: anything at the path (a link included) is refused.
// kKeepFiles: an existing regular file (or a link to one) is refused, and a device or a FIFO
// (/dev/stdout) is written in place, as with kAllow.
enum class Overwrite { kAllow, kRefuse, kKeepFiles };
// Writes `data` to a new file beside `path` with `mode`, fsyncs it and puts it in place (as
// StagedFile does): readers see the old file or the new one, never a part, and a run killed midway
// leaves nothing behind. kRefuse fails when anything is at `path` (a link included). With kAllow a
// symbolic link is followed (the file it names is replaced, the link stays) under
// check_protected_links, and an existing file that is not a regular one (/dev/null, /dev/stdout, a
// FIFO) is written in place, never replaced.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                               Overwrite overwrite = Overwrite::kAllow);
// Output made piece by piece: `produce` calls `put` with each piece, in order, so that a large file
// (a CRL's PEM) is never built whole in memory. Written as write_file_atomic writes data.
using Put = std::function<Result<void>(std::string_view)>;
using Producer = std::function<Result<void>(const Put& put)>;
Result<void> write_file_atomic(const std::string& path, const Producer& produce, mode_t mode,
                               Overwrite overwrite = Overwrite::kAllow);

// A new regular file written and synced before it has a name, then given its name by publish():
// until then nothing is at `path`, and a run that ends without publishing (killed, or the
// transaction it waited for failed) leaves nothing. A key is staged before its certificate is
// committed and published after, so that no key file exists without its certificate.
// The file is made unnamed (O_TMPFILE); replacing a file (kAllow) links it at a hidden temporary
// name and renames that over the old file. Where the file system has no O_TMPFILE the temporary
// name is used from the start. A temporary file of a killed run (".NAME.pki-tmp.PID.HEX", its
// process gone) is removed when pki next names a temporary file in that directory (replacing a
// file there, or any write where there is no O_TMPFILE): the runs that can leave one. (A writer
// in another PID namespace sharing the directory looks gone: its rename would then fail, never
// half-write.)
class StagedFile {
 public:
  // Checks `path` as write_file_atomic does (a device or a FIFO is refused: it cannot be staged).
  static Result<StagedFile> stage(const std::string& path, const Producer& data, mode_t mode,
                                  Overwrite overwrite);
  // kRefuse: kBadInput when something is at `path` by now.
  Result<void> publish();

  StagedFile(StagedFile&& other) noexcept;
  StagedFile& operator=(StagedFile&&) = delete;
  ~StagedFile();

 private:
  StagedFile() = default;
  int fd_ = -1;
  std::string path_, shown_;
  std::string temporary_;  // the named temporary file, if any
  Overwrite overwrite_ = Overwrite::kAllow;
};

// Many new files in one directory `dir`, each as write_file_atomic with kRefuse writes one (whole
// or not at all, never over anything), with one file-system sync for many files instead of one
// each: all are written unnamed (O_TMPFILE), synced together, then linked into place, then the
// directory is synced. One result per file, in order.
struct NewFile {
  std::string name;  // within `dir`
  std::string data;
};
std::vector<Result<void>> write_new_files(const std::string& dir, std::span<const NewFile> files,
                                          mode_t mode);

// A temporary name beside `path` for a file made by other means than StagedFile (a database
// copy): hidden, ".NAME.pki-tmp.PID.HEX", so that one a killed run left is removed when pki next
// names a temporary file in that directory (as this call removes those of killed runs now).
Result<std::string> temporary_name(const std::string& path);

// A name pki gives to things that end up in file names and on command lines (CAs, profiles): 1 to
// 64 letters, digits, '.', '-' or '_', starting with a letter or digit.
bool is_plain_name(std::string_view name);

// Syncs the directory holding `path`, so that a name given there survives a power cut.
void sync_directory(const std::string& path);

// Whether `path` can be written: an existing non-regular file (a device, a FIFO) that is writable,
// or a file whose directory exists and is writable; never a directory. Links are followed.
// Commands check their output paths with this before they change anything, so that an unwritable
// --out does not leave a certificate issued or a CRL number spent without its file.
// With kRefuse, anything already at the path (a link included) is refused, as
// write_file_atomic would refuse it.
Result<void> check_writable(const std::string& path, Overwrite overwrite = Overwrite::kAllow);

// The rule of the kernel's fs.protected_symlinks, whatever the sysctl says: a symbolic link in a
// sticky, world-writable directory (/tmp) is followed only when it belongs to the user running pki
// or to the directory's owner; any other is refused (kBadInput, the link named), so that another
// user's link cannot turn a write of ours onto a file of our choosing. Every link met while
// resolving `path` is checked. Outputs and the database are checked before they are written.
Result<void> check_protected_links(const std::string& path);

// PEM armour for DER bytes under `label` ("CERTIFICATE", "X509 CRL", ...), 64-column base64.
std::string to_pem(std::string_view label, BytesView der);
// The same armour in pieces of about 64 KiB (`der` must outlive the producer).
Producer pem_producer(std::string label, BytesView der);

// The DER bytes of each PEM block labelled `label`, in order. Text outside blocks is ignored.
// An error when a block is malformed; an empty list when there is none.
Result<std::vector<Bytes>> pem_blocks(std::string_view text, std::string_view label);

// One PEM block of any label, as pem_all_blocks finds it.
struct PemBlock {
  std::string label;    // "CERTIFICATE", "EC PRIVATE KEY", ...
  std::string headers;  // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ..."), or ""
  std::string text;     // the whole block, BEGIN to END lines, as in the input
  Bytes der;            // the decoded body
};

// Every PEM block in `text`, whatever its label, in order. Text outside blocks is ignored. An
// error when a block is malformed (no END line, a label that differs, bad base64).
Result<std::vector<PemBlock>> pem_all_blocks(std::string_view text);

// Input that holds DER or PEM: a DER object starts with a SEQUENCE tag; anything else is read as PEM.
bool looks_like_der(std::string_view data);

// The encoded certificates in PEM (one or more) or DER (one), as they were given: not yet parsed
// (cert::Certificate::from_der reads each, DER checked). `what` names the input in messages.
Result<std::vector<Bytes>> certificate_ders(std::string_view data, std::string_view what);
Result<std::vector<Bytes>> load_certificate_ders(const std::string& path);
// The same, parsed by OpenSSL.
Result<std::vector<OsslPtr<X509>>> parse_certificates(std::string_view data, std::string_view what);
Result<std::vector<OsslPtr<X509>>> load_certificates(const std::string& path);
// A library context configured as OpenSSL's default is (the same configuration file, so the same
// providers), for a thread that decodes many certificates: OpenSSL 3 decodes each certificate's
// public key through its provider registry, whose locks threads sharing one context contend for.
// Null when it cannot be made; the default context serves then.
OsslPtr<OSSL_LIB_CTX> new_library_context();
Result<OsslPtr<X509_REQ>> parse_csr(std::string_view data, std::string_view what);
// A CSR file's DER bytes (from PEM or DER), checked only for its framing.
Result<Bytes> load_csr_der(const std::string& path);
// The DER of each CRL in a PEM file, or of the one in a DER file, unparsed (cert::Crl::from_der
// keeps these bytes instead of encoding the CRL again).
Result<std::vector<Bytes>> load_crl_ders(const std::string& path);

Bytes der_of(const X509& cert);

}  // namespace pki
