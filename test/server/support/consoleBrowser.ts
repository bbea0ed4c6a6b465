// A browser of the web console for the tests: pages fetched with a user's Basic credentials (user
// NAME signs in with NAME-password, as the tests add them), the anti-CSRF token of a TVDc's page,
// and form posts as the console's own pages send them. Every HTML page answered goes into `pages`,
// for the tests that check each is well-formed.
import { expect } from 'chai';
import { request } from 'undici';

export interface Page { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export function consoleBrowser(url: () => string, pages: { name: string; body: string }[]) {
  const auth = (user: string) => `Basic ${Buffer.from(`${user}:${user}-password`).toString('base64')}`;
  const keep = (name: string, p: Page) => {
    if (p.body !== '' && String(p.headers['content-type']).startsWith('text/html')) pages.push({ name, body: p.body });
    return p;
  };
  const get = async (user: string, path: string): Promise<Page> => {
    const r = await request(`${url()}${path}`, { headers: { authorization: auth(user) } });
    return keep(`GET ${path}`, { status: r.statusCode, headers: r.headers, body: await r.body.text() });
  };
  /** The anti-CSRF token the forms of `user`'s page of TVDc `group` carry. */
  const tokenOf = async (user: string, group: string): Promise<string> => {
    const page = await get(user, `/console/tvdc/${group}`);
    expect(page.status).to.equal(200);
    const tokens = new Set([...page.body.matchAll(/<input type="hidden" name="token" value="([^"]+)"\/>/g)].map((m) => m[1]));
    expect(tokens.size, 'one token on the page').to.equal(1);
    return [...tokens][0]!;
  };
  /**
   * A form post as a browser sends one from the console's own page (its Origin, Sec-Fetch-Site
   * same-origin, urlencoded); `headers` replaces or removes (null) any of those.
   */
  const post = async (user: string, path: string, fields: Record<string, string> | string, headers: Record<string, string | null> = {}): Promise<Page> => {
    const all: Record<string, string | null> = {
      authorization: auth(user),
      origin: url(),
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    };
    const r = await request(`${url()}${path}`, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null)),
      body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
    });
    return keep(`POST ${path}`, { status: r.statusCode, headers: r.headers, body: await r.body.text() });
  };
  /** A post of a TVDc's form (its actions path). */
  const act = (user: string, group: string, fields: Record<string, string>, headers: Record<string, string | null> = {}) =>
    post(user, `/console/tvdc/${encodeURIComponent(group)}/actions`, fields, headers);
  /**
   * A destructive action's two steps, as a user clicks them: its form's post must answer with the
   * confirmation page, whose one form carries every field on with confirm=yes to the same
   * actions path; that form is posted as the page has it, and its answer returned.
   */
  const actConfirmed = async (user: string, group: string, fields: Record<string, string>, headers: Record<string, string | null> = {}): Promise<Page> => {
    const asked = await act(user, group, fields, headers);
    expect(asked.status, 'the confirmation page').to.equal(200);
    expect(asked.body).to.include('<h1>Confirm the action</h1>').and.include('Nothing has been done yet.');
    const forms = [...asked.body.matchAll(/<form method="post" action="([^"]+)">(.*?)<\/form>/g)];
    expect(forms.length, 'one form on the confirmation page').to.equal(1);
    const carried = Object.fromEntries([...forms[0]![2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [unescape(m[1]!), unescape(m[2]!)]));
    expect(carried).to.deep.equal({ ...fields, confirm: 'yes' });
    // The action is relative to the page, which is the actions path itself.
    const target = new URL(unescape(forms[0]![1]!), `${url()}/console/tvdc/${encodeURIComponent(group)}/actions`);
    return post(user, target.pathname, carried, headers);
  };
  return { get, tokenOf, post, act, actConfirmed };
}

/** The text of an attribute value as the console escapes it. */
function unescape(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The Outcome cell of a result page. */
export const outcome = (body: string) => /<tr><th>Outcome<\/th><td>(.*)<\/td><\/tr>/.exec(body)?.[1];
