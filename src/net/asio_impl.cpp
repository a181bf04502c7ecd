// SPDX-License-Identifier: Apache-2.0
// The single translation unit that compiles Asio and Beast (separate compilation): every other
// file includes only their declarations, which keeps rebuilds fast on two cores.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
