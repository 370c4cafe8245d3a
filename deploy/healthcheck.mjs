#!/usr/bin/env node
// The health probe of every modelship image (the Dockerfile's HEALTHCHECK runs it, and so does the VM's
// rollout): GET http://127.0.0.1:$PORT$HEALTH_PATH, exit 0 on a 2xx answer, 1 otherwise. Node itself makes
// the request, so the images need no curl; each image sets PORT and HEALTH_PATH once, in its ENV.
const port = process.env.PORT;
const path = process.env.HEALTH_PATH;
if (!port || !path?.startsWith('/')) {
  console.error('healthcheck: PORT and HEALTH_PATH (starting with /) must be set');
  process.exit(2);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
