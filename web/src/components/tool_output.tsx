// SPDX-License-Identifier: Apache-2.0
import type { ContentBlock, ErrorBody } from '../protocol/messages';
import { readable_result } from '../studio/result_text';

interface Props {
  content: ContentBlock[];
  error?: ErrorBody | undefined;
  data?: unknown;
  arguments?: Record<string, unknown> | undefined;
}

function image_source(block: ContentBlock): string | undefined {
  if (block.url) return block.url;
  if (block.data) return `data:${block.mimeType ?? block.mime_type ?? 'image/png'};base64,${block.data}`;
  return undefined;
}

/// The body of a tool card or command result: error (with validation details and traceback),
/// text, inline images, structured data and the full arguments on request.
export function ToolOutput({ content, error, data, arguments: args }: Props) {
  const texts = content.filter((b) => b.type === 'text' && b.text).map((b) => b.text);
  const images = content.filter((b) => b.type === 'image').map(image_source).filter((s): s is string => s !== undefined);
  const has_data = data !== undefined && data !== null && !(typeof data === 'object' && Object.keys(data).length === 0);
  if (!error && texts.length === 0 && images.length === 0 && !has_data && !args) return null;
  // The sentence without the engine's dump of its data; the data as rows, all of it on request.
  const readable = readable_result(texts.join('\n'), has_data ? data : undefined);
  return (
    <div className="tool-body">
      {error && (
        <div className="tool-error">
          <div>
            {error.message} <code>{error.code}</code>
          </div>
          {error.details && error.details.length > 0 && (
            <ul>
              {error.details.map((detail, index) => (
                <li key={index}>
                  <code>{detail.pointer ?? detail.path ?? '/'}</code> {detail.message}
                </li>
              ))}
            </ul>
          )}
          {error.data?.traceback && (
            <details>
              <summary>traceback</summary>
              <pre>{error.data.traceback}</pre>
            </details>
          )}
        </div>
      )}
      {readable.text && <div className="tool-text">{readable.text}</div>}
      {readable.rows.length > 0 && (
        <dl className="result-summary">
          {readable.rows.map((row, index) => (
            <div key={index}>
              <dt>{row.label}</dt>
              <dd>{row.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {images.length > 0 && (
        <div className="tool-images">
          {images.map((source, index) => (
            <a key={index} href={source} target="_blank" rel="noreferrer">
              <img src={source} alt={`tool output ${index + 1}`} loading="lazy" />
            </a>
          ))}
        </div>
      )}
      {readable.details !== undefined && (
        <details>
          <summary>details</summary>
          <pre>{JSON.stringify(readable.details, null, 2)}</pre>
        </details>
      )}
      {args && (
        <details>
          <summary>arguments</summary>
          <pre>{JSON.stringify(args, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}
