// SPDX-License-Identifier: Apache-2.0
#include "store/database.h"

#include <charconv>

namespace atelier::store {

const std::string& SqlRow::text(std::size_t column) const {
    static const std::string kEmpty;
    if (column >= columns.size() || !columns[column]) {
        return kEmpty;
    }
    return *columns[column];
}

std::int64_t SqlRow::integer(std::size_t column) const {
    const std::string& value = text(column);
    std::int64_t number = 0;
    std::from_chars(value.data(), value.data() + value.size(), number);
    return number;
}

} // namespace atelier::store
