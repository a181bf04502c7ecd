// SPDX-License-Identifier: Apache-2.0
#include "store_contract.h"

namespace atelier::store::testing {

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values(BackendParam{"Sqlite", &make_sqlite_backend}),
                         backend_name);

} // namespace atelier::store::testing
