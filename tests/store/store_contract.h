// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gtest/gtest.h>

#include "store_backend.h"

namespace atelier::store::testing {

/// The behaviour every Store backend must have. Instantiated once per backend
/// (sqlite_store_test.cpp, postgres_store_test.cpp).
class StoreContract : public ::testing::TestWithParam<BackendParam> {
protected:
    void SetUp() override;
    void TearDown() override;

    /// A user with a fresh unique name.
    User make_user(const std::string& name);
    Project make_project(const User& owner, const std::string& name = "island");

    std::unique_ptr<StoreBackend> m_backend;
    std::unique_ptr<Store> m_store;
};

inline std::string backend_name(const ::testing::TestParamInfo<BackendParam>& info) {
    return info.param.name;
}

} // namespace atelier::store::testing
