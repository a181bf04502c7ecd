// SPDX-License-Identifier: Apache-2.0
#include "store_contract.h"

namespace atelier::store::testing {

// A real PostgreSQL server (postgres_server.h) started by this test process.
INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values(BackendParam{"Postgres", &make_postgres_backend}),
                         backend_name);

} // namespace atelier::store::testing
