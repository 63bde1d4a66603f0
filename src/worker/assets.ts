// The snippet, served by the Worker itself (first-party, same origin as `/o`) with an ETag and an hour's cache.
import { CLIENT_ASSETS } from './generated/client';

export function serveClient(request: Request, path: string): Response | null {
  const asset = CLIENT_ASSETS[path];
  if (!asset) return null;
  const headers = {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=3600',
    etag: asset.etag,
    'access-control-allow-origin': '*',
    'x-content-type-options': 'nosniff',
  };
  const match = request.headers.get('if-none-match');
  if (
    match
      ?.split(',')
      .map((s) => s.trim().replace(/^W\//, ''))
      .includes(asset.etag)
  ) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(request.method === 'HEAD' ? null : asset.code, { headers });
}
