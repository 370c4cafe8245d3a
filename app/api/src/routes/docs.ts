// /openapi.json generated from the route schemas, and /docs: Swagger UI served from the installed
// swagger-ui-dist package (no CDN, works offline). Links are relative so the page also works behind the
// UI's /api/ proxy.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AppDeps, Router } from './router.js';

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>modelship API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/swagger-ui-standalone-preset.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
`;

// A separate file rather than an inline script, so a strict Content-Security-Policy can stay on.
const INIT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

export function mountDocs(app: Router, deps: AppDeps): void {
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'modelship API',
      version: deps.version,
      description: 'Model inference over HTTP. Errors are JSON: `{error, detail, field?}`.',
    },
    // Relative, so it resolves against where the document is served: `/` straight from the API, `/api/` behind
    // the UI's proxy. Without it, Swagger UI's "Try it out" at /api/docs called /health instead of /api/health.
    servers: [{ url: '.', description: 'where this document is served from' }],
    tags: [
      { name: 'legacy', description: "The hands-on's FastAPI contract" },
      { name: 'v1', description: 'Model metadata and predictions with multipart or raw image bodies' },
      { name: 'health', description: 'Liveness, readiness, metrics' },
    ],
  });

  // Read once, and kept as a plain Uint8Array so each response sends it without a copy.
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/init.js', (c) => c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/:asset', async (c) => {
    const asset = c.req.param('asset');
    const type = ASSETS[asset];
    if (!type) return c.notFound();
    let body = cache.get(asset);
    if (!body) {
      body = new Uint8Array(await readFile(join(swaggerDir, asset)));
      cache.set(asset, body);
    }
    return c.body(body, 200, {
      'Content-Type': type,
      'Cache-Control': 'public, max-age=86400',
    });
  });
}
