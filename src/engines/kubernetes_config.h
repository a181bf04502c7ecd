// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>

#include "core/result.h"
#include "engines/api_client.h"

namespace atelier::engines {

/// Where the Kubernetes API is and the credentials to use: in-cluster (the service account's
/// token and CA under /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST and
/// _PORT) or a kubeconfig's current context (server, token or client certificate, CA), for
/// development. Fails with InvalidConfig naming the file and the missing field.
[[nodiscard]] Result<ApiEndpoint> kubernetes_endpoint(const std::filesystem::path& kubeconfig);

} // namespace atelier::engines
