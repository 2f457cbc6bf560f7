import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local endpoint's base URL and its shutdown. */
export interface HttpEndpoint {
  /** `http://host:port` (an IPv6 address in brackets), to give an SDK client as `endpoint`. */
  endpoint: string;
  /** Stops listening and closes the kept-alive connections (SDK clients keep them open). */
  close(): Promise<void>;
}

/** Binds `server` to `host:port` (0: a free port), rejecting on a bind error such as EADDRINUSE. */
export async function listenLocally(server: Server, port: number, host: string): Promise<HttpEndpoint> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { address, port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://${address.includes(':') ? `[${address}]` : address}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Without this, close() would wait for the clients' idle connections to time out.
        server.closeAllConnections();
      }),
  };
}
