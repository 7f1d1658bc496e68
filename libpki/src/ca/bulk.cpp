// Bulk issuance: worker threads read, check and sign requests; the calling thread stores them in
// groups, one write transaction per group, while the workers go on with the next ones.
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "internal.h"
#include "pki/ca/authority.h"

namespace pki::ca {

Result<void> Authority::issue_bulk(const Issuer& issuer, std::size_t count, const BulkSource& request,
                                   const BulkSink& committed, const BulkOptions& options) {
  if (count == 0) return {};
  // Once for all: a revoked or expired CA refuses the run, not each request.
  PKI_TRY(detail::check_issuer_usable(issuer, clock_.now()));
  PKI_TRY(load_profiles());  // the workers only read them
  const std::size_t max_group = std::max<std::size_t>(options.max_group, 1);
  unsigned workers = options.workers ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  workers = static_cast<unsigned>(std::min<std::size_t>(workers, count));

  struct Ready {
    std::size_t index;
    Result<Prepared> prepared;
  };
  std::mutex mutex;
  std::condition_variable have_ready, have_room;
  std::deque<Ready> ready;  // signed, waiting to be stored
  std::size_t next = 0;     // the next request a worker takes
  unsigned workers_done = 0;
  bool stopping = false;
  // Signed certificates wait for the store at most this many: memory stays bounded whatever
  // the count, and the workers stay a group or more ahead of the store.
  const std::size_t room = 4 * max_group;

  auto work = [&] {
    for (;;) {
      std::size_t index;
      {
        std::unique_lock lock(mutex);
        have_room.wait(lock, [&] { return stopping || ready.size() < room; });
        if (stopping || next == count) break;
        index = next++;
      }
      Result<Prepared> prepared = [&]() -> Result<Prepared> {
        PKI_ASSIGN(const IssueRequest r, request(index));
        return prepare_batch_item(issuer, r);
      }();
      {
        std::lock_guard lock(mutex);
        ready.push_back(Ready{index, std::move(prepared)});
      }
      have_ready.notify_one();
    }
    {
      std::lock_guard lock(mutex);
      ++workers_done;
    }
    have_ready.notify_one();
  };

  Result<void> status;
  {
    std::vector<std::jthread> threads;
    threads.reserve(workers);
    for (unsigned i = 0; i < workers; ++i) threads.emplace_back(work);

    std::vector<Ready> group;
    std::vector<BulkOutcome> outcomes;
    for (;;) {
      group.clear();
      {
        std::unique_lock lock(mutex);
        have_ready.wait(lock, [&] { return !ready.empty() || workers_done == workers; });
        if (ready.empty()) break;  // every request handled
        while (!ready.empty() && group.size() < max_group) {
          group.push_back(std::move(ready.front()));
          ready.pop_front();
        }
      }
      have_room.notify_all();

      outcomes.clear();
      status = [&]() -> Result<void> {
        PKI_ASSIGN(auto tx, store::WriteTransaction::begin(store_));
        for (auto& r : group) {
          if (!r.prepared) {
            outcomes.push_back(BulkOutcome{r.index, tl::unexpected(std::move(r.prepared.error()))});
            continue;
          }
          PKI_ASSIGN(auto rec, store_prepared(issuer, *r.prepared));
          outcomes.push_back(BulkOutcome{r.index, std::move(rec)});
        }
        return tx.commit();
      }();
      if (status) status = committed(outcomes);
      if (!status) break;
    }
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    have_room.notify_all();
  }  // the workers are joined here
  return status;
}

}  // namespace pki::ca
