// SPDX-License-Identifier: Apache-2.0
// Asio's OpenSSL glue, compiled once like the rest of Asio (asio_impl.cpp); only the HTTP client
// uses it.
#include <boost/asio/ssl/impl/src.hpp>
