// SPDX-License-Identifier: Apache-2.0
// A minimal stand-in for the hub's /preview reverse proxy: HTTP requests and WebSocket upgrades
// to 127.0.0.1:<target> with the path unchanged (the prefix is not stripped), on its own port,
// so the preview page is loaded from a port that is not Vite's.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export class PrefixProxy {
  private server!: http.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  async listen(): Promise<number> {
    this.server = http.createServer((request, response) => {
      const upstream = http.request(
        { host: '127.0.0.1', port: this.target, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    });
    this.server.on('upgrade', (request, client, head) => {
      const upstream = net.connect(this.target, '127.0.0.1', () => {
        const lines = [`${request.method} ${request.url} HTTP/1.1`];
        for (let i = 0; i < request.rawHeaders.length; i += 2) {
          lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
        }
        upstream.write(lines.join('\r\n') + '\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      for (const socket of [upstream, client as net.Socket]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          upstream.destroy();
          client.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    this.sockets.forEach((socket) => socket.destroy());
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
