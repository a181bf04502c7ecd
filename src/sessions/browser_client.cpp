// SPDX-License-Identifier: Apache-2.0
#include "sessions/browser_client.h"

#include <optional>

#include "core/ids.h"
#include "protocol/browser_envelope.h"

namespace atelier::sessions {

BrowserClient::BrowserClient(const std::shared_ptr<net::WebSocketConnection>& connection)
    : m_id(connection->id()), m_user(connection->request().subject), m_connection(connection) {}

void BrowserClient::deliver(const SessionEvent& event) {
    auto connection = m_connection.lock();
    if (!connection) {
        return; // the tab closed; its detach is on its way
    }
    protocol::BrowserEnvelope envelope{event.type, new_uuid(), event.payload, std::nullopt};
    if (!event.re.empty()) {
        envelope.re = event.re;
    }
    connection->send_text(protocol::serialize_browser_envelope(envelope));
}

void BrowserClient::deliver_frame(const std::string& frame) {
    if (auto connection = m_connection.lock()) {
        connection->send_binary(frame); // latest-wins per tab: a slow tab skips frames
    }
}

} // namespace atelier::sessions
