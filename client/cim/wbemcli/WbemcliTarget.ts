// The object URL of a wbemcli command line, `http://user:pw@host:5988/root/tvdc:Class.k="v",n=7`,
// split into the connection part and the CIM part. The key texts are kept as written because
// wbemcli echoes them back in its output (quoted or bare, as the user typed them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { parseObjectPath } from '../../../src/cim/objectPathText.js';
import { CimError } from '../../../src/cim/CimError.js';
import { CommandError } from './CommandError.js';

function urlError(message: string): CommandError {
  return new CommandError(message, false, 'Url');
}

export interface UrlKey {
  name: string;
  /** The value as typed, without surrounding quotes. */
  text: string;
  quoted: boolean;
}

export interface WbemcliTarget {
  scheme: 'http' | 'https';
  user?: string;
  password?: string;
  host: string;
  port: number;
  /** `http(s)://host:port` for the connection. */
  origin: string;
  namespace: string;
  /** False when the URL names no namespace and `namespace` is wbemcli's default, root/cimv2. */
  namespaceGiven: boolean;
  /** Empty when the URL names only a namespace (ecn, ec). */
  className: string;
  keys: UrlKey[];
  /** The class or instance path (namespace set, no host). */
  path: CimObjectPath;
}

/** Splits `a="x,y",b=2` at the commas outside double quotes. */
export function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted && i + 1 < text.length) {
      cur += c + text[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (quoted) throw urlError('Unbalanced quoted string');
  parts.push(cur);
  return parts;
}

export function unquote(v: string): { text: string; quoted: boolean } {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return { text: v.slice(1, -1).replace(/\\(["\\])/g, '$1'), quoted: true };
  }
  return { text: v, quoted: false };
}

/**
 * wbemcli's host indirection: `token/namespace:Class...` stands for the scheme and host that the
 * line `token: http://user:pw@host:port` gives in $WBEMCLI_IND (default ./wbemcli.ind).
 */
function resolveIndirection(url: string, env: NodeJS.ProcessEnv, cwd: string): string {
  const slash = url.indexOf('/');
  const token = slash < 0 ? url : url.slice(0, slash);
  if (!/^[A-Za-z0-9]+$/.test(token) || slash < 0) throw urlError('Only supporting http or https protocols');
  const file = env.WBEMCLI_IND ?? join(cwd, 'wbemcli.ind');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw urlError('File wbemcli.ind not found');
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(`${token}:`)) continue;
    const base = line.slice(token.length + 1).trim();
    if (/^https?:\/\//i.test(base)) return `${base}/${url.slice(slash + 1)}`;
  }
  throw urlError('No valid indirection found');
}

export function parseWbemcliTarget(url: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): WbemcliTarget {
  if (!/^https?:\/\//i.test(url)) url = resolveIndirection(url, env, cwd);
  let rest: string;
  let scheme: 'http' | 'https';
  if (/^https:\/\//i.test(url)) { scheme = 'https'; rest = url.slice(8); }
  else if (/^http:\/\//i.test(url)) { scheme = 'http'; rest = url.slice(7); }
  else throw urlError('Only supporting http or https protocols');
  // The authority ends at the first '/'; user info ends at the last '@' before it.
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const local = slash < 0 ? '' : rest.slice(slash + 1);
  const at = authority.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const info = authority.slice(0, at);
    const colon = info.indexOf(':');
    user = decodeURIComponent(colon >= 0 ? info.slice(0, colon) : info);
    if (colon >= 0) password = decodeURIComponent(info.slice(colon + 1));
  }
  const hostPort = authority.slice(at + 1);
  const bracket = hostPort.lastIndexOf(']');
  const colon = hostPort.lastIndexOf(':');
  let host = hostPort;
  let port = scheme === 'https' ? 5989 : 5988;
  if (colon > bracket) {
    host = hostPort.slice(0, colon);
    const p = hostPort.slice(colon + 1);
    if (!/^[0-9]+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw urlError('Invalid port number');
    port = Number(p);
  }
  if (host.length === 0) throw urlError('Could not locate hostname');

  // wbemcli's default namespace when the URL has none.
  const nsAndClass = local.length === 0 ? 'root/cimv2' : local;
  const colonAt = nsAndClass.indexOf(':');
  const namespace = colonAt < 0 ? nsAndClass : nsAndClass.slice(0, colonAt);
  if (namespace.length === 0 || namespace.split('/').some((s) => s.length === 0)) {
    throw urlError('Invalid namespace specification');
  }
  const classPart = colonAt < 0 ? '' : nsAndClass.slice(colonAt + 1);
  const dot = classPart.indexOf('.');
  const className = dot < 0 ? classPart : classPart.slice(0, dot);
  const keys: UrlKey[] = [];
  let path: CimObjectPath;
  if (dot < 0) {
    path = new CimObjectPath(className, null, namespace);
  } else {
    for (const kv of splitOutsideQuotes(classPart.slice(dot + 1), ',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new CommandError('Bad key specification');
      keys.push({ name: kv.slice(0, eq), ...unquote(kv.slice(eq + 1)) });
    }
    try {
      path = parseObjectPath(classPart, { bareStrings: true });
    } catch (e) {
      if (e instanceof CimError) throw urlError(e.description);
      throw e;
    }
    path.namespace = namespace;
    path.host = undefined;
  }
  const origin = `${scheme}://${host}:${port}`;
  const t: WbemcliTarget = { scheme, host, port, origin, namespace, namespaceGiven: local.length > 0, className, keys, path };
  if (user !== undefined) t.user = user;
  if (password !== undefined) t.password = password;
  return t;
}
