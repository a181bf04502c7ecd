// SPDX-License-Identifier: Apache-2.0
interface Props {
  message: string;
  on_retry: () => void;
}

export function HubDown({ message, on_retry }: Props) {
  return (
    <main className="center-page">
      <section className="card signin" aria-labelledby="down-title">
        <h1 id="down-title">Cannot reach the hub</h1>
        <p>{message}</p>
        <p className="signin-hint">
          Start it with <code>make run</code> (or <code>atelier serve</code>) and open the link it prints.
        </p>
        <div>
          <button className="primary" onClick={on_retry} autoFocus>
            Try again
          </button>
        </div>
      </section>
    </main>
  );
}
