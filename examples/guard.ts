// What keeps the demo local: which Host names it answers (a page on another
// site that rebinds its own name to 127.0.0.1 sends its own name as Host),
// and refusing writes that a page on another site sends with the user's
// browser (a cross-site form or fetch carries its Origin, or
// `Sec-Fetch-Site: cross-site`).
import { hostname, networkInterfaces } from 'node:os';

const WILDCARDS = ['0.0.0.0', '::', '[::]'];

/** Host names as URL.hostname spells them: lower case, IPv6 in brackets. */
function asHostname(host: string): string {
  const name = host.trim().toLowerCase();
  return name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
}

/**
 * The host names a server bound to `host` answers: the loopback names, the
 * bound host itself and, when it listens on every interface, this machine's
 * name and addresses; plus any names in `extra` (`ALLOWED_HOSTS`).
 */
export function allowedHosts(host: string, extra = ''): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '[::1]']);
  if (WILDCARDS.includes(host)) {
    names.add(hostname().toLowerCase());
    for (const addresses of Object.values(networkInterfaces())) {
      for (const { address } of addresses ?? []) names.add(asHostname(address.split('%')[0]!));
    }
  } else {
    names.add(asHostname(host));
  }
  for (const name of extra.split(',')) if (name.trim()) names.add(asHostname(name));
  return names;
}

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/**
 * A refusal for a request the demo must not answer, else undefined: `421`
 * for a Host it does not serve, `403` for a write (POST, PUT, DELETE...)
 * from another origin. Requests without `Origin` (curl, scripts) may write.
 */
export function guard(request: Request, url: URL, hosts: Set<string>): Response | undefined {
  if (!hosts.has(url.hostname.toLowerCase())) {
    return new Response(
      `This server does not answer for ${url.hostname}. Open it as http://localhost:${url.port || 80}/, or add the name to ALLOWED_HOSTS.\n`,
      { status: 421, headers: { 'content-type': 'text/plain; charset=utf-8' } },
    );
  }
  if (SAFE_METHODS.includes(request.method)) return undefined;
  const origin = request.headers.get('origin');
  const site = request.headers.get('sec-fetch-site');
  if ((origin !== null && origin !== url.origin) || site === 'cross-site' || site === 'same-site') {
    return new Response(`${request.method} from another origin is refused.\n`, {
      status: 403,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
  return undefined;
}
