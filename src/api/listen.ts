// The API's HTTP server. Requests that Node's HTTP parser refuses before Express sees them (headers or URL over its
// 16 KB limit, malformed HTTP, a request too slow to arrive) get the API's JSON error body too, instead of an empty
// answer that a client cannot tell from a crash.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';

export function listenApi(app: Express, port: number, host: string): http.Server {
  const server = http.createServer(app);
  server.on('clientError', answerClientError);
  server.listen(port, host);
  return server;
}

function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A client that went away has nobody to answer.
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'request: the URL and headers are larger than the server accepts (16 KB)']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'request: did not arrive in time']
        : [400, 'bad_request', 'request: is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { code, message, details: null } });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
