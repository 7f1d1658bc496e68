#include "pki/core/io.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/asn1t.h>
#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

namespace pki {

namespace {

// Reads `fd` to its end into a string or Bytes, at most `max_size` bytes.
template <class Buffer>
Result<Buffer> read_all(int fd, std::string_view name, std::size_t max_size) {
  Buffer out;
  // A file's size reserved at once (a CRL may be tens of megabytes), so that the text is never
  // moved as it grows: a passphrase leaves no copy behind in memory freed unwiped.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
      static_cast<std::size_t>(st.st_size) <= max_size)
    out.reserve(static_cast<std::size_t>(st.st_size) + 1);
  char buf[65536];
  std::size_t used = 0;  // how much of `buf` any read has filled
  // What was read stays in `buf` and, on failure, in `out`: both wiped (the input may be a passphrase).
  const auto wipe = [&] {
    OPENSSL_cleanse(buf, used);
    if (!out.empty()) OPENSSL_cleanse(out.data(), out.size());
  };
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      wipe();
      return fail(ErrorCode::kBadInput, "cannot read " + std::string(name) + ": " + std::strerror(err));
    }
    if (n == 0) break;
    used = std::max(used, static_cast<std::size_t>(n));
    if (out.size() + static_cast<std::size_t>(n) > max_size) {
      wipe();
      return fail(ErrorCode::kBadInput, "cannot read " + std::string(name) + ": larger than " +
                                            std::to_string(max_size >> 20) + " MiB");
    }
    out.insert(out.end(), buf, buf + n);
  }
  OPENSSL_cleanse(buf, used);
  return out;
}

template <class Buffer>
Result<Buffer> read_path(const std::string& path, std::size_t max_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return fail(ErrorCode::kBadInput, "cannot read '" + path + "': no such file");
    return fail(ErrorCode::kBadInput, "cannot read '" + path + "': " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(ErrorCode::kBadInput, "cannot read '" + path + "': it is a directory");
  }
  auto data = read_all<Buffer>(fd, "'" + path + "'", max_size);
  ::close(fd);
  return data;
}

}  // namespace

Result<std::string> read_descriptor(int fd, std::string_view name, std::size_t max_size) {
  return read_all<std::string>(fd, name, max_size);
}

Result<std::string> read_input(const std::string& path, std::size_t max_size) {
  return read_path<std::string>(path, max_size);
}

Result<Bytes> read_input_bytes(const std::string& path, std::size_t max_size) {
  return read_path<Bytes>(path, max_size);
}

namespace {

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// Where output for `path` goes. A symbolic link to an existing regular file is resolved, so that
// file is replaced and the link kept; a link to nothing is refused rather than followed (open()
// would create its target wherever it points). An existing device or FIFO is written in place,
// and /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N are the descriptors this process
// holds (written as they are: `--out /dev/stdout >> file` appends).
struct OutputTarget {
  std::string path;
  int fd = -1;  // a descriptor named by the path
  bool exists = false;
  bool special = false;  // written in place: a device, a FIFO or a descriptor
};

std::optional<int> named_descriptor(const std::string& path) {
  if (path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = path.substr(prefix.size());
    if (digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::atoi(digits.c_str());  // at most six digits
  }
  return std::nullopt;
}

Result<OutputTarget> output_target(const std::string& path, Overwrite overwrite) {
  if (path.empty()) return fail(ErrorCode::kBadInput, "an empty output path");
  OutputTarget t{path};
  if (const auto fd = named_descriptor(path)) {
    const int flags = ::fcntl(*fd, F_GETFL);
    if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
      return fail(ErrorCode::kBadInput,
                  "cannot write '" + path + "': the descriptor is not open for writing");
    t.fd = *fd;
    t.exists = t.special = true;
    return t;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return t;
    return fail(ErrorCode::kBadInput, "cannot write '" + path + "': " + std::strerror(errno));
  }
  t.exists = true;
  // A key file is never written through a link: anything at the path is refused.
  if (S_ISLNK(st.st_mode) && overwrite == Overwrite::kRefuse) return t;
  if (S_ISLNK(st.st_mode)) {
    PKI_TRY(check_protected_links(path));
    if (::stat(path.c_str(), &st) != 0)
      return fail(ErrorCode::kBadInput,
                  "cannot write '" + path + "': a symbolic link to nothing (" + std::strerror(errno) + ")");
    if (S_ISREG(st.st_mode)) {
      char resolved[PATH_MAX];
      if (!::realpath(path.c_str(), resolved))
        return fail(ErrorCode::kBadInput, "cannot write '" + path + "': " + std::strerror(errno));
      t.path = resolved;
    }
  }
  if (S_ISDIR(st.st_mode))
    return fail(ErrorCode::kBadInput, "cannot write '" + path + "': it is a directory");
  t.special = !S_ISREG(st.st_mode);
  return t;
}

Result<void> write_all(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kStore, std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> write_produced(int fd, const Producer& produce) {
  return produce([fd](std::string_view piece) { return write_all(fd, piece); });
}

// A device, a FIFO or a descriptor: written as it is, neither created, replaced nor synced.
Result<void> write_in_place(const OutputTarget& target, const Producer& data) {
  const std::string& shown = target.path;
  if (target.fd >= 0) {
    if (auto w = write_produced(target.fd, data); !w)
      return fail(ErrorCode::kStore, "cannot write '" + shown + "': " + w.error().message);
    return {};
  }
  const int fd = ::open(target.path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return fail(ErrorCode::kStore, "cannot write '" + shown + "': " + std::strerror(errno));
  struct stat st {};
  // Still not a regular file (one put there since would be written over, not replaced).
  if (::fstat(fd, &st) != 0 || S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(ErrorCode::kStore, "cannot write '" + shown + "': it changed while being written");
  }
  auto written = write_produced(fd, data);
  ::close(fd);
  if (!written) return fail(ErrorCode::kStore, "cannot write '" + shown + "': " + written.error().message);
  return {};
}

}  // namespace

bool is_plain_name(std::string_view name) {
  auto ok = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  };
  return !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name.front())) &&
         std::all_of(name.begin(), name.end(), ok);
}

void sync_directory(const std::string& path) {
  if (const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

Result<void> check_protected_links(const std::string& path) {
  // Components still to resolve (a stack, the next on top) and the directory resolved so far.
  std::vector<std::string> pending;
  auto push_components = [&](const std::string& p) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      const std::size_t slash = p.find('/', start);
      const std::string part =
          p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (!part.empty() && part != ".") parts.push_back(part);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    pending.insert(pending.end(), parts.rbegin(), parts.rend());
  };
  std::string dir;
  if (path.empty() || path[0] != '/') {
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return {};
    dir = cwd;
    if (dir == "/") dir.clear();
  }
  push_components(path);
  // Linux follows at most 40 links in one resolution (path_resolution(7)).
  for (int links = 0; !pending.empty();) {
    const std::string part = pending.back();
    pending.pop_back();
    if (part == "..") {
      const std::size_t slash = dir.rfind('/');
      dir = slash == std::string::npos ? "" : dir.substr(0, slash);
      continue;
    }
    const std::string at = dir + "/" + part;
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0) return {};  // nothing further exists to be a link
    if (!S_ISLNK(st.st_mode)) {
      dir = at;
      continue;
    }
    if (++links > 40)
      return fail(ErrorCode::kBadInput, "cannot resolve '" + path + "': too many symbolic links");
    const std::string parent = dir.empty() ? "/" : dir;
    struct stat d {};
    if (::stat(parent.c_str(), &d) == 0 && (d.st_mode & S_ISVTX) && (d.st_mode & S_IWOTH) &&
        st.st_uid != ::geteuid() && st.st_uid != d.st_uid)
      return fail(ErrorCode::kBadInput,
                  "refusing to follow the symbolic link '" + at + "': it belongs to another user (uid " +
                      std::to_string(st.st_uid) + ") in the sticky, world-writable directory '" + parent +
                      "' (the rule of fs.protected_symlinks)");
    char target[PATH_MAX];
    const ssize_t n = ::readlink(at.c_str(), target, sizeof target - 1);
    if (n < 0) return {};
    target[n] = '\0';
    if (target[0] == '/') dir.clear();
    push_components(target);
  }
  return {};
}

Result<void> write_file_atomic(const std::string& shown, std::string_view data, mode_t mode,
                               Overwrite overwrite) {
  return write_file_atomic(
      shown, [data](const Put& put) { return put(data); }, mode, overwrite);
}

Result<void> write_file_atomic(const std::string& shown, const Producer& data, mode_t mode,
                               Overwrite overwrite) {
  PKI_ASSIGN(const OutputTarget target, output_target(shown, overwrite));
  if (target.special && overwrite != Overwrite::kRefuse) return write_in_place(target, data);
  if (overwrite == Overwrite::kKeepFiles) {
    if (target.exists)
      return fail(ErrorCode::kBadInput, Field::kOverwrite,
                  "refusing to overwrite existing file '" + shown + "'");
    overwrite = Overwrite::kRefuse;  // and a file made meanwhile is not replaced either
  }
  PKI_ASSIGN(StagedFile staged, StagedFile::stage(shown, data, mode, overwrite));
  return staged.publish();
}

namespace {

constexpr std::string_view kTempMark = ".pki-tmp.";
void remove_stale_temporaries(const std::string& dir);

}  // namespace

Result<std::string> temporary_name(const std::string& path) {
  std::uint8_t rnd[8];
  if (RAND_bytes(rnd, sizeof rnd) != 1)
    return fail_openssl(ErrorCode::kInternal, "the random number generator failed");
  remove_stale_temporaries(dir_of(path));
  const std::string dir = dir_of(path);
  const std::size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "/." + base + std::string(kTempMark) + std::to_string(::getpid()) + "." + to_hex(rnd);
}

namespace {

// The process id in a temporary name of ours (".NAME.pki-tmp.PID.HEX"), or 0 when `name` is not one.
pid_t temporary_owner(std::string_view name) {
  if (name.empty() || name[0] != '.') return 0;
  const std::size_t mark = name.rfind(kTempMark);
  if (mark == std::string_view::npos) return 0;
  const std::string_view rest = name.substr(mark + kTempMark.size());
  const std::size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot > 9 || rest.size() - dot - 1 != 16) return 0;
  pid_t pid = 0;
  for (const char c : rest.substr(0, dot)) {
    if (c < '0' || c > '9') return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

// Gives the unnamed file open on `fd` (O_TMPFILE) the name `name` in `dirfd`; fails (errno
// EEXIST) when the name is taken, so nothing there is replaced. Through /proc, as an unprivileged
// process may (AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH), or AT_EMPTY_PATH without /proc.
int link_unnamed(int fd, int dirfd, const char* name) {
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  int rc = ::linkat(AT_FDCWD, self.c_str(), dirfd, name, AT_SYMLINK_FOLLOW);
  if (rc != 0 && errno == ENOENT) rc = ::linkat(fd, "", dirfd, name, AT_EMPTY_PATH);
  return rc;
}

// Removes the temporary files of ours in `dir` that a killed run left (see temporary_name). Only
// where pki names a temporary file itself: a file written unnamed (O_TMPFILE) leaves none, so
// writing a new certificate into a directory of a million does not read through the million.
void remove_stale_temporaries(const std::string& dir) {
  // Once per directory and process.
  static std::mutex mutex;
  static std::set<std::string> done;
  {
    std::lock_guard lock(mutex);
    if (!done.insert(dir).second) return;
  }
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (const dirent* e = ::readdir(d)) {
    const pid_t owner = temporary_owner(e->d_name);
    // A process that no longer exists left it (a live one, or one that reuses the id, keeps it).
    if (owner > 0 && owner != ::getpid() && ::kill(owner, 0) != 0 && errno == ESRCH)
      ::unlinkat(::dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
}

}  // namespace

StagedFile::StagedFile(StagedFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      shown_(std::move(other.shown_)),
      temporary_(std::exchange(other.temporary_, {})),
      overwrite_(other.overwrite_) {}

StagedFile::~StagedFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

Result<StagedFile> StagedFile::stage(const std::string& shown, const Producer& data, mode_t mode,
                                     Overwrite overwrite) {
  if (overwrite == Overwrite::kKeepFiles) overwrite = Overwrite::kRefuse;  // a staged file is a regular one
  PKI_ASSIGN(const OutputTarget target, output_target(shown, overwrite));
  if (overwrite == Overwrite::kRefuse && target.exists)
    return fail(ErrorCode::kBadInput, "refusing to overwrite existing file '" + shown + "'");
  if (target.special)
    return fail(ErrorCode::kBadInput, "cannot write '" + shown + "' as a new file: it is a device or a FIFO");
  const std::string& path = target.path;
  StagedFile f;
  f.path_ = path;
  f.shown_ = shown;
  f.overwrite_ = overwrite;
  const std::string dir = dir_of(path);
  f.fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (f.fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // No O_TMPFILE on this file system: a named temporary file, removed by whoever next writes here
    // if this run is killed.
    PKI_ASSIGN(f.temporary_, temporary_name(path));
    f.fd_ = ::open(f.temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (f.fd_ < 0) f.temporary_.clear();
  }
  if (f.fd_ < 0) return fail(ErrorCode::kStore, "cannot write '" + shown + "': " + std::strerror(errno));
  auto failed = [&](const std::string& what, const std::string& reason) -> Result<StagedFile> {
    return fail(ErrorCode::kStore, "cannot " + what + " '" + shown + "': " + reason);
  };
  // The umask may have narrowed the mode given to open(); set it exactly.
  if (::fchmod(f.fd_, mode) != 0) return failed("set the mode of", std::strerror(errno));
  if (auto w = write_produced(f.fd_, data); !w) return failed("write", w.error().message);
  if (::fsync(f.fd_) != 0) return failed("sync", std::strerror(errno));
  return f;
}

Result<void> StagedFile::publish() {
  if (fd_ < 0) return fail(ErrorCode::kInternal, "'" + shown_ + "' was already written");
  auto failed = [&](int err) -> Result<void> {
    return fail(err == EEXIST ? ErrorCode::kBadInput : ErrorCode::kStore,
                "cannot write '" + shown_ + "': " + (err == EEXIST ? "file exists" : std::strerror(err)));
  };
  if (temporary_.empty()) {
    // Unnamed: linked at its name (which fails when the name is taken, so nothing is replaced), or
    // when replacing, at a temporary name renamed over the old file a moment later.
    std::string at = path_;
    if (overwrite_ == Overwrite::kAllow) {
      PKI_ASSIGN(at, temporary_name(path_));
    }
    if (link_unnamed(fd_, AT_FDCWD, at.c_str()) != 0) return failed(errno);
    if (overwrite_ == Overwrite::kAllow) temporary_ = at;
  }
  ::close(std::exchange(fd_, -1));
  if (!temporary_.empty()) {
    if (overwrite_ == Overwrite::kRefuse) {
      // link() fails when `path` exists, so a file created meanwhile is not replaced.
      if (::link(temporary_.c_str(), path_.c_str()) != 0) return failed(errno);
    } else if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
      return failed(errno);
    } else {
      temporary_.clear();
    }
  }
  sync_directory(path_);
  return {};
}

std::vector<Result<void>> write_new_files(const std::string& dir, std::span<const NewFile> files,
                                          mode_t mode) {
  std::vector<Result<void>> out;
  out.reserve(files.size());
  auto path_of = [&](const NewFile& f) { return dir + "/" + f.name; };
  auto store_error = [](const std::string& what, const std::string& path, int err) -> Result<void> {
    return fail(ErrorCode::kStore, "cannot " + what + " '" + path + "': " + std::strerror(err));
  };
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    const int err = errno;
    for (const auto& f : files) out.push_back(store_error("write", path_of(f), err));
    return out;
  }
  // Some at a time, so that the open descriptors stay well below the usual limit of 1,024.
  constexpr std::size_t kChunk = 256;
  for (std::size_t start = 0; start < files.size(); start += kChunk) {
    const std::size_t end = std::min(files.size(), start + kChunk);
    std::vector<int> fds(end - start, -1);
    for (std::size_t i = start; i < end; ++i) {
      const NewFile& f = files[i];
      const int fd = ::openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
      if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        // No O_TMPFILE here: each file on its own, as write_file_atomic writes it.
        out.push_back(write_file_atomic(path_of(f), f.data, mode, Overwrite::kRefuse));
        continue;
      }
      if (fd < 0) {
        out.push_back(store_error("write", path_of(f), errno));
        continue;
      }
      if (::fchmod(fd, mode) != 0) {
        out.push_back(store_error("set the mode of", path_of(f), errno));
        ::close(fd);
        continue;
      }
      if (auto w = write_all(fd, f.data); !w) {
        out.push_back(fail(ErrorCode::kStore, "cannot write '" + path_of(f) + "': " + w.error().message));
        ::close(fd);
        continue;
      }
      fds[i - start] = fd;
      out.emplace_back();
    }
    // One sync for the whole chunk: syncfs() writes out every file of the file system at once.
    bool synced = true;
    int sync_err = 0;
    for (const int fd : fds)
      if (fd >= 0) {
        if (::syncfs(fd) != 0) {
          synced = false;
          sync_err = errno;
        }
        break;
      }
    for (std::size_t i = start; i < end; ++i) {
      const int fd = fds[i - start];
      if (fd < 0) continue;
      if (!synced) {
        out[i] = store_error("sync", path_of(files[i]), sync_err);
      } else {
        // linkat fails when the name is taken, so nothing there is replaced.
        if (link_unnamed(fd, dfd, files[i].name.c_str()) != 0) {
          const int err = errno;
          out[i] = err == EEXIST
                       ? fail(ErrorCode::kBadInput, "cannot write '" + path_of(files[i]) + "': file exists")
                       : store_error("write", path_of(files[i]), err);
        }
      }
      ::close(fd);
    }
  }
  ::fsync(dfd);
  ::close(dfd);
  return out;
}

Result<void> check_writable(const std::string& shown, Overwrite overwrite) {
  PKI_ASSIGN(const OutputTarget target, output_target(shown, overwrite));
  if (overwrite == Overwrite::kRefuse && target.exists)
    return fail(ErrorCode::kBadInput, "refusing to overwrite existing file '" + shown + "'");
  if (overwrite == Overwrite::kKeepFiles && target.exists && !target.special)
    return fail(ErrorCode::kBadInput, Field::kOverwrite,
                "refusing to overwrite existing file '" + shown + "'");
  if (target.fd >= 0) return {};
  if (target.special) {
    if (::access(target.path.c_str(), W_OK) != 0)
      return fail(ErrorCode::kBadInput, "cannot write '" + shown + "': " + std::strerror(errno));
    return {};
  }
  const std::string dir = dir_of(target.path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(ErrorCode::kBadInput, "cannot write '" + shown + "': no directory '" + dir + "'");
  if (::access(dir.c_str(), W_OK) != 0)
    return fail(ErrorCode::kBadInput,
                "cannot write '" + shown + "': the directory '" + dir + "' is not writable");
  return {};
}

std::string to_pem(std::string_view label, BytesView der) {
  std::string out;
  out.reserve(2 * (label.size() + 16) + (der.size() + 47) / 48 * 65);  // once: a CRL may be large
  out += "-----BEGIN " + std::string(label) + "-----\n";
  // 48 input bytes make one 64-column line (RFC 7468 section 2).
  for (std::size_t i = 0; i < der.size(); i += 48) {
    const std::size_t n = std::min<std::size_t>(48, der.size() - i);
    char line[65];
    const int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(line), der.data() + i, static_cast<int>(n));
    out.append(line, static_cast<std::size_t>(len));
    out.push_back('\n');
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

Producer pem_producer(std::string label, BytesView der) {
  return [label = std::move(label), der](const Put& put) -> Result<void> {
    PKI_TRY(put("-----BEGIN " + label + "-----\n"));
    constexpr std::size_t kLines = 1024;  // 48 input bytes make one 64-column line (RFC 7468 2)
    std::string chunk(kLines * 65, '\0');
    for (std::size_t i = 0; i < der.size();) {
      std::size_t used = 0;
      for (std::size_t line = 0; line < kLines && i < der.size(); ++line) {
        const std::size_t n = std::min<std::size_t>(48, der.size() - i);
        used += static_cast<std::size_t>(EVP_EncodeBlock(
            reinterpret_cast<unsigned char*>(chunk.data() + used), der.data() + i, static_cast<int>(n)));
        chunk[used++] = '\n';
        i += n;
      }
      PKI_TRY(put(std::string_view(chunk.data(), used)));
    }
    return put("-----END " + label + "-----\n");
  };
}

namespace {

Result<Bytes> base64_decode(std::string_view body, std::string_view label) {
  std::string clean;
  clean.reserve(body.size());
  for (char c : body) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    clean.push_back(c);
  }
  auto bad = [&] {
    return fail(ErrorCode::kBadInput,
                "malformed PEM: the " + std::string(label) + " block is not valid base64");
  };
  if (clean.empty() || clean.size() % 4 != 0) return bad();
  std::size_t pad = 0;
  if (clean.back() == '=') ++pad;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
  Bytes out(clean.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return bad();
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

}  // namespace

Result<std::vector<Bytes>> pem_blocks(std::string_view text, std::string_view label) {
  std::vector<Bytes> out;
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  std::size_t pos = 0;
  while ((pos = text.find(begin, pos)) != std::string_view::npos) {
    std::size_t body_start = pos + begin.size();
    const std::size_t stop = text.find(end, body_start);
    if (stop == std::string_view::npos)
      return fail(ErrorCode::kBadInput, "malformed PEM: '" + begin + "' without '" + end + "'");
    std::string_view body = text.substr(body_start, stop - body_start);
    // RFC 1421 headers (Proc-Type and the like) end at the first blank line.
    if (body.find(':') != std::string_view::npos) {
      const std::size_t blank = body.find("\n\n");
      if (blank == std::string_view::npos) return fail(ErrorCode::kBadInput, "malformed PEM: bad headers");
      body = body.substr(blank + 2);
    }
    PKI_ASSIGN(Bytes der, base64_decode(body, label));
    out.push_back(std::move(der));
    pos = stop + end.size();
  }
  return out;
}

Result<std::vector<PemBlock>> pem_all_blocks(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  static constexpr std::string_view kDashes = "-----";
  std::vector<PemBlock> out;
  std::size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    const std::size_t label_start = pos + kBegin.size();
    const std::size_t label_end = text.find(kDashes, label_start);
    const std::size_t line_end = text.find('\n', label_start);
    if (label_end == std::string_view::npos || (line_end != std::string_view::npos && label_end > line_end))
      return fail(ErrorCode::kBadInput, "malformed PEM: a BEGIN line without its closing dashes");
    PemBlock block;
    block.label = std::string(text.substr(label_start, label_end - label_start));
    const std::string end = "-----END " + block.label + "-----";
    const std::size_t body_start = label_end + kDashes.size();
    const std::size_t stop = text.find(end, body_start);
    if (stop == std::string_view::npos)
      return fail(ErrorCode::kBadInput,
                  "malformed PEM: '-----BEGIN " + block.label + "-----' without '" + end + "' (truncated?)");
    std::string_view body = text.substr(body_start, stop - body_start);
    // A BEGIN inside the body: an earlier block lost its END line.
    if (body.find(kBegin) != std::string_view::npos)
      return fail(ErrorCode::kBadInput,
                  "malformed PEM: '-----BEGIN " + block.label + "-----' without its END line (truncated?)");
    // RFC 1421 headers (Proc-Type and the like) end at the first blank line.
    if (body.find(':') != std::string_view::npos) {
      std::size_t blank = body.find("\n\n");
      std::size_t skip = 2;
      if (const std::size_t crlf = body.find("\r\n\r\n"); crlf < blank) {
        blank = crlf;
        skip = 4;
      }
      if (blank == std::string_view::npos) return fail(ErrorCode::kBadInput, "malformed PEM: bad headers");
      const std::size_t first = body.find_first_not_of("\r\n");
      block.headers = std::string(body.substr(first, blank - first));
      body = body.substr(blank + skip);
    }
    PKI_ASSIGN(block.der, base64_decode(body, block.label));
    block.text = std::string(text.substr(pos, stop + end.size() - pos)) + "\n";
    out.push_back(std::move(block));
    pos = stop + end.size();
  }
  return out;
}

bool looks_like_der(std::string_view data) {
  return !data.empty() && static_cast<unsigned char>(data[0]) == 0x30;
}

namespace {

// Decodes DER `what` with d2i, requiring the whole input to be consumed.
template <class T, class D2i>
Result<OsslPtr<T>> decode_der(BytesView der, D2i d2i, std::string_view what) {
  const unsigned char* p = der.data();
  OsslPtr<T> obj(d2i(nullptr, &p, static_cast<long>(der.size())));
  if (!obj) return fail_openssl(ErrorCode::kBadInput, "cannot parse " + std::string(what) + ": invalid DER");
  if (p != der.data() + der.size())
    return fail(ErrorCode::kBadInput,
                "cannot parse " + std::string(what) + ": trailing data after the DER object");
  return obj;
}

// The DER of each object in `data`: the input itself when it is DER, else every PEM block under
// one of `labels`.
Result<std::vector<Bytes>> der_objects(std::string_view data, std::string_view what,
                                       std::initializer_list<std::string_view> labels) {
  if (looks_like_der(data)) return std::vector<Bytes>{Bytes(data.begin(), data.end())};
  std::vector<Bytes> out;
  for (std::string_view label : labels) {
    PKI_ASSIGN(auto blocks, pem_blocks(data, label));
    for (Bytes& der : blocks) out.push_back(std::move(der));
  }
  if (out.empty())
    return fail(ErrorCode::kBadInput, "cannot parse " + std::string(what) + ": no PEM '" +
                                          std::string(*labels.begin()) + "' block and not DER");
  return out;
}

template <class T, class D2i>
Result<std::vector<OsslPtr<T>>> parse_objects(std::string_view data, std::string_view what,
                                              std::initializer_list<std::string_view> labels, D2i d2i) {
  PKI_ASSIGN(auto blocks, der_objects(data, what, labels));
  std::vector<OsslPtr<T>> out;
  for (const Bytes& der : blocks) {
    PKI_ASSIGN(auto obj, (decode_der<T>(der, d2i, what)));
    out.push_back(std::move(obj));
  }
  return out;
}

// A CSR's DER: exactly one request.
Result<Bytes> csr_der(std::string_view data, std::string_view what) {
  PKI_ASSIGN(auto blocks, der_objects(data, what, {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"}));
  if (blocks.size() != 1) return fail(ErrorCode::kBadInput, std::string(what) + " holds more than one CSR");
  return std::move(blocks.front());
}

}  // namespace

Result<std::vector<Bytes>> certificate_ders(std::string_view data, std::string_view what) {
  return der_objects(data, what, {"CERTIFICATE", "X509 CERTIFICATE"});
}

Result<std::vector<Bytes>> load_certificate_ders(const std::string& path) {
  PKI_ASSIGN(std::string data, read_input(path));
  return certificate_ders(data, "certificate '" + path + "'");
}

Result<std::vector<OsslPtr<X509>>> parse_certificates(std::string_view data, std::string_view what) {
  return parse_objects<X509>(data, what, {"CERTIFICATE", "X509 CERTIFICATE"}, d2i_X509);
}

Result<std::vector<OsslPtr<X509>>> load_certificates(const std::string& path) {
  PKI_ASSIGN(std::string data, read_input(path));
  return parse_certificates(data, "certificate '" + path + "'");
}

OsslPtr<OSSL_LIB_CTX> new_library_context() {
  OsslPtr<OSSL_LIB_CTX> ctx(OSSL_LIB_CTX_new());
  if (!ctx) return nullptr;
  // What the default context loads (openssl.cnf, OPENSSL_CONF); without a file, the default
  // provider, as in the default context.
  char* file = CONF_get1_default_config_file();
  const bool configured = file && ::access(file, R_OK) == 0
                              ? OSSL_LIB_CTX_load_config(ctx.get(), file) == 1
                              : OSSL_PROVIDER_available(ctx.get(), "default") == 1;
  OPENSSL_free(file);
  drain_openssl_errors();
  return configured ? std::move(ctx) : nullptr;
}

Result<OsslPtr<X509_REQ>> parse_csr(std::string_view data, std::string_view what) {
  PKI_ASSIGN(Bytes der, csr_der(data, what));
  return decode_der<X509_REQ>(der, d2i_X509_REQ, what);
}

Result<Bytes> load_csr_der(const std::string& path) {
  PKI_ASSIGN(std::string data, read_input(path));
  return csr_der(data, "CSR '" + path + "'");
}

Result<std::vector<Bytes>> load_crl_ders(const std::string& path) {
  // Read as bytes: a DER CRL (tens of megabytes) is then handed on as it was read, never copied.
  PKI_ASSIGN(Bytes data, read_input_bytes(path));
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  if (looks_like_der(text)) {
    std::vector<Bytes> one;
    one.push_back(std::move(data));
    return one;
  }
  return der_objects(text, "CRL '" + path + "'", {"X509 CRL"});
}

Bytes der_of(const X509& cert) {
  unsigned char* buf = nullptr;
  const int n = i2d_X509(&cert, &buf);
  if (n <= 0) return {};
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

}  // namespace pki
