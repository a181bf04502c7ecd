// SPDX-License-Identifier: Apache-2.0
interface Props {
  message: string;
}

/// The hub's message in two parts: what is wrong (its first sentence), and how to fix it (the rest,
/// which can be long: every setting and a local-model example).
export function split_notice(message: string): { head: string; rest: string } {
  const cut = message.search(/\.\s+(?=[A-Z])/);
  if (cut < 0) return { head: message, rest: '' };
  return { head: message.slice(0, cut + 1), rest: message.slice(cut + 1).trim() };
}

/// DESIGN §6: without a model provider everything but chat works; say so and say what to set —
/// compactly, so the chat keeps its room.
export function NoModelNotice({ message }: Props) {
  const { head: raw_head, rest } = split_notice(message);
  const head = raw_head.charAt(0).toUpperCase() + raw_head.slice(1);
  // The hub's own message usually says what to set; the general hint is for one that does not.
  const says_how = /config|ATELIER_MODEL|api_key_env/i.test(message);
  return (
    <div className="no-model" role="note">
      <strong>Chat needs a model</strong>
      {head}
      {rest && (
        <details>
          <summary>How to set one</summary>
          <p>{rest}</p>
        </details>
      )}
      {!says_how && (
        <p>
          Configure a provider for the hub — an Anthropic API key, or an OpenAI-compatible endpoint such as a local
          llama.cpp, Ollama or vLLM server — in its config file or environment, then restart it. The Tools panel,
          the viewport and versions work without one.
        </p>
      )}
    </div>
  );
}
