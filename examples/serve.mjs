// A tiny static server for the built examples (build/examples/). It sends COOP/COEP headers so pages are
// crossOriginIsolated (SharedArrayBuffer available). `node examples/serve.mjs [port]` prints the URL.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLES_ROOT = fileURLToPath(new URL('../build/examples/', import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Serves `root` on 127.0.0.1 (port 0 picks a free one); resolves once listening. */
export function serve({ root = EXAMPLES_ROOT, port = 0 } = {}) {
  const base = resolve(root);
  const server = createServer(async (request, response) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    try {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      let file = normalize(join(base, path));
      if (file !== base && !file.startsWith(`${base}/`)) throw Object.assign(new Error('outside the root'), { code: 'ENOENT' });
      if ((await stat(file)).isDirectory()) {
        if (!path.endsWith('/')) {
          response.writeHead(301, { ...headers, Location: `${path}/` }).end();
          return;
        }
        file = join(file, 'index.html');
      }
      const body = await readFile(file);
      response.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch (error) {
      const missing = error?.code === 'ENOENT' || error?.code === 'ENOTDIR';
      response.writeHead(missing ? 404 : 500, { ...headers, 'Content-Type': 'text/plain' }).end(missing ? 'not found' : String(error));
    }
  });
  return new Promise((done, failed) => {
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      done({
        url: `http://localhost:${address.port}/`,
        port: address.port,
        close: () => new Promise((closed) => { server.closeAllConnections?.(); server.close(() => closed()); }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const asked = process.argv[2] ?? process.env.PORT;
  // 8080 unless asked otherwise; a free port when 8080 is taken.
  const { url } = await serve({ port: Number(asked ?? 8080) }).catch((error) => {
    if (asked === undefined && error.code === 'EADDRINUSE') return serve({ port: 0 });
    throw error;
  });
  console.log(`webppo examples at ${url}\n  demo game:  ${url}web/\n  hunters:    ${url}web/hunters.html\n  duel:       ${url}duel/\n  benchmark:  ${url}bench/\n(Ctrl-C to stop)`);
}
