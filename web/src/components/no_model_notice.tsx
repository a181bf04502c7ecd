interface Props {
  message: string;
}

/// DESIGN §6: without a model provider everything but chat works; say so and say what to set.
export function NoModelNotice({ message }: Props) {
  // The hub's own message usually says what to set; the general hint is for one that does not.
  const says_how = /config|ATELIER_MODEL|api_key_env/i.test(message);
  return (
    <div className="no-model" role="note">
      <strong>Chat needs a model</strong>
      {message}
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
