#include "pki/store/store.h"

namespace pki::store {

Result<WriteTransaction> WriteTransaction::begin(Store& store) {
  PKI_TRY(store.begin_write());
  return WriteTransaction(store);
}

WriteTransaction::~WriteTransaction() {
  if (store_) store_->rollback();
}

Result<void> WriteTransaction::commit() {
  Store* s = store_;
  store_ = nullptr;
  auto r = s->commit();
  if (!r) s->rollback();
  return r;
}

}  // namespace pki::store
