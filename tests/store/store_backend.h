// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/database.h"
#include "store/store.h"

namespace atelier::store::testing {

/// One empty database of one backend, for one test. The same contract suite runs against each
/// backend through this interface.
class StoreBackend {
public:
    virtual ~StoreBackend() = default;
    /// Opens (and migrates) the store; may be called again to reopen the same database.
    [[nodiscard]] virtual Result<std::unique_ptr<Store>> open() = 0;
    /// A raw connection to the same database, for looking behind the interface.
    [[nodiscard]] virtual Result<std::unique_ptr<Database>> open_database() = 0;
};

using BackendFactory = Result<std::unique_ptr<StoreBackend>> (*)();

struct BackendParam {
    std::string name;
    BackendFactory make;
};

[[nodiscard]] Result<std::unique_ptr<StoreBackend>> make_sqlite_backend();
[[nodiscard]] Result<std::unique_ptr<StoreBackend>> make_postgres_backend();

} // namespace atelier::store::testing
